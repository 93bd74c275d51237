import type { LogEntry, LogEntryInput } from './decision-log.js';
import type { SubjectRef } from './ids.js';
import { GENESIS_HASH } from './decision-log.js';

/** An input that passed LogEntryInput's rules, defaults not yet applied. */
export type CheckedEntryInput = Omit<LogEntryInput, 'subjectRef'> & { readonly subjectRef: SubjectRef };

/**
 * A validated input as the entry it becomes, before its place in the chain is known (seq 0, genesis prevHash, no
 * hash): the appender fills those in on the same object, so a batch allocates one entry object per input. Absent
 * columns become null and absent lists empty, the schema's defaults; lists are copied, so the entry is what was
 * hashed. The literal names every column, so the compiler flags a column added to the schema but not here.
 */
export function unchainedEntry(v: CheckedEntryInput, id: string, at: string, partition: number): LogEntry {
  return {
    id,
    at,
    seq: 0,
    partition,
    kind: v.kind,
    subjectRef: v.subjectRef,
    campaignId: v.campaignId ?? null,
    campaignVersion: v.campaignVersion ?? null,
    workflowId: v.workflowId ?? null,
    runId: v.runId ?? null,
    stepId: v.stepId ?? null,
    purpose: v.purpose ?? null,
    channel: v.channel ?? null,
    processor: v.processor ?? null,
    outcome: v.outcome,
    reasons: v.reasons ? [...v.reasons] : [],
    consentEventId: v.consentEventId ?? null,
    noticeVersion: v.noticeVersion ?? null,
    policyVersion: v.policyVersion ?? null,
    fieldsRequested: v.fieldsRequested ? [...v.fieldsRequested] : [],
    fieldsReleased: v.fieldsReleased ? [...v.fieldsReleased] : [],
    fieldsWithheld: v.fieldsWithheld ? [...v.fieldsWithheld] : [],
    templateId: v.templateId ?? null,
    templateHash: v.templateHash ?? null,
    decisionId: v.decisionId ?? null,
    result: v.result ?? null,
    smtpCode: v.smtpCode ?? null,
    messageId: v.messageId ?? null,
    jurisdiction: v.jurisdiction ?? null,
    transferTo: v.transferTo ?? null,
    transferMechanism: v.transferMechanism ?? null,
    transferMechanismKind: v.transferMechanismKind ?? null,
    transferValidFrom: v.transferValidFrom ?? null,
    transferValidUntil: v.transferValidUntil ?? null,
    transferConsentEventId: v.transferConsentEventId ?? null,
    prevHash: GENESIS_HASH,
    hash: '',
  };
}
