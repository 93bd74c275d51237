import type { Decision } from '../domain/guard.js';
import type { SubjectRef } from '../domain/ids.js';
import type { LogEntryInput } from '../domain/decision-log.js';

/** One send step of one campaign run, as the guarded path sees it (no personal data). */
export interface SendSpec {
  readonly campaignId: string;
  readonly campaignVersion: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly stepId: string;
  readonly purpose: string;
  readonly channel: string;
  readonly processor: string;
  readonly templateId: string;
  readonly frequencyCap?: { readonly max: number; readonly perMs: number };
}

const common = (spec: SendSpec, ref: SubjectRef) => ({
  subjectRef: ref,
  campaignId: spec.campaignId,
  campaignVersion: spec.campaignVersion,
  workflowId: spec.workflowId,
  runId: spec.runId,
  stepId: spec.stepId,
  purpose: spec.purpose,
  channel: spec.channel,
  processor: spec.processor,
});

/** The log entry of a guard decision; campaign-level denials (cap, template) are added as extra reasons. */
export function decisionEntry(spec: SendSpec, d: Decision, template: { id: string; contentHash: string } | undefined, extraReasons: readonly string[]): LogEntryInput {
  const denied = d.outcome === 'deny' || extraReasons.length > 0;
  return {
    ...common(spec, d.subjectRef),
    kind: 'decision',
    outcome: denied ? 'deny' : 'allow',
    reasons: [...(d.outcome === 'deny' ? d.reasons : []), ...extraReasons],
    consentEventId: d.consentEventId,
    noticeVersion: d.noticeVersion === null ? null : String(d.noticeVersion),
    policyVersion: d.policyVersion,
    fieldsRequested: [...d.fieldsRequested],
    // A campaign-level denial releases nothing either.
    fieldsReleased: denied ? [] : [...d.fieldsReleased],
    fieldsWithheld: denied ? [...d.fieldsRequested] : [...d.fieldsWithheld],
    templateId: template?.id ?? d.templateId,
    templateHash: template?.contentHash ?? null,
    at: d.decidedAt,
  };
}

/** The log entry of a delivery attempt, linked to the decision that authorised it. */
export function deliveryEntry(
  spec: SendSpec,
  ref: SubjectRef,
  decisionId: string,
  r: { outcome: 'sent' | 'failed'; smtpCode?: number; messageId?: string; result: string; reasons?: string[] },
): LogEntryInput {
  return {
    ...common(spec, ref),
    kind: 'delivery',
    outcome: r.outcome,
    decisionId,
    result: r.result,
    smtpCode: r.smtpCode ?? null,
    messageId: r.messageId ?? null,
    reasons: r.reasons ?? [],
    templateId: spec.templateId,
  };
}
