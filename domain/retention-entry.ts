import type { LogEntryInput } from './decision-log.js';
import type { SubjectRef } from './ids.js';
import { OPERATOR_SUBJECT_REF } from './operator-action.js';
import type { RetentionClass } from './retention.js';

/** The decision-log entry of one retention action: what was removed, why, under which cut-off. */
export function retentionEntry(a: { readonly cls: RetentionClass; readonly what: string; readonly reason: string; readonly asOf: Date; readonly at: Date; readonly subjectRef?: SubjectRef }): LogEntryInput {
  return {
    subjectRef: a.subjectRef ?? OPERATOR_SUBJECT_REF,
    kind: 'operator',
    outcome: 'recorded',
    stepId: 'retention',
    result: `removed=${a.cls} ${a.what} reason=${a.reason} as_of=${a.asOf.toISOString()}`.slice(0, 256),
    reasons: ['retention_expired'],
    // The log's own time is the real clock (the chain refuses skewed entries); the cut-off date is in `result`.
    at: a.at.toISOString(),
  };
}
