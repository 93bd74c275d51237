import type { LogEntry, ParsedLogEntryInput } from './decision-log.js';
import { GENESIS_HASH } from './decision-log.js';

/**
 * A validated input as the entry it becomes, before its place in the chain is known (seq 0, genesis prevHash, no
 * hash): the appender fills those in on the same object, so a batch allocates one entry object per input. The
 * literal names every column, so the compiler flags a column added to the schema but not here.
 */
export function unchainedEntry(v: ParsedLogEntryInput, id: string, at: string, partition: number): LogEntry {
  return {
    id,
    at,
    seq: 0,
    partition,
    kind: v.kind,
    subjectRef: v.subjectRef,
    campaignId: v.campaignId,
    campaignVersion: v.campaignVersion,
    workflowId: v.workflowId,
    runId: v.runId,
    stepId: v.stepId,
    purpose: v.purpose,
    channel: v.channel,
    processor: v.processor,
    outcome: v.outcome,
    reasons: v.reasons,
    consentEventId: v.consentEventId,
    noticeVersion: v.noticeVersion,
    policyVersion: v.policyVersion,
    fieldsRequested: v.fieldsRequested,
    fieldsReleased: v.fieldsReleased,
    fieldsWithheld: v.fieldsWithheld,
    templateId: v.templateId,
    templateHash: v.templateHash,
    decisionId: v.decisionId,
    result: v.result,
    smtpCode: v.smtpCode,
    messageId: v.messageId,
    jurisdiction: v.jurisdiction,
    transferTo: v.transferTo,
    transferMechanism: v.transferMechanism,
    transferMechanismKind: v.transferMechanismKind,
    transferValidFrom: v.transferValidFrom,
    transferValidUntil: v.transferValidUntil,
    transferConsentEventId: v.transferConsentEventId,
    prevHash: GENESIS_HASH,
    hash: '',
  };
}
