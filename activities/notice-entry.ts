import type { LogEntryInput } from '../domain/decision-log.js';
import { type NoticeVerdict, PROCESSOR_NOTICE_STEP } from '../domain/notice-transfer.js';
import type { InformInput } from './inputs.js';
import { transferColumns } from './send-entries.js';

/**
 * The decision entry of a correction notice: the processor, the corrected field names (never values) and the move
 * abroad it makes; released on allow, withheld on deny with the reasons. The change id ties it to the request.
 */
export function noticeEntry(input: InformInput, v: NoticeVerdict, fields: readonly string[]): LogEntryInput {
  const allow = v.outcome === 'allow';
  return {
    subjectRef: input.subjectRef as LogEntryInput['subjectRef'],
    kind: 'decision',
    outcome: v.outcome,
    reasons: [...v.reasons],
    workflowId: `propagation-${input.changeId}`,
    stepId: PROCESSOR_NOTICE_STEP,
    processor: input.processor,
    purpose: input.purpose ?? null,
    channel: input.channel ?? null,
    fieldsRequested: [...fields],
    fieldsReleased: allow ? [...fields] : [],
    fieldsWithheld: allow ? [] : [...fields],
    result: `notice=${input.kind} change=${input.changeId}`,
    jurisdiction: v.jurisdiction,
    ...transferColumns(v.transfer),
  };
}
