import type { Decision, TransferRecord } from '../domain/guard.js';
import type { SubjectRef } from '../domain/ids.js';
import type { LogEntryInput } from '../domain/decision-log.js';

import type { SendSpec } from '../domain/send-spec.js';

export type { SendSpec } from '../domain/send-spec.js';

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

/**
 * The log entry of a guard decision; campaign-level denials (cap, template, a consent change at reservation) are
 * added as extra reasons. A re-decision names the decision it replaces and says why in `result`.
 */
export function decisionEntry(
  spec: SendSpec,
  d: Decision,
  template: { id: string; contentHash: string } | undefined,
  extraReasons: readonly string[],
  redecision?: { readonly replaces: string; readonly result: string },
): LogEntryInput {
  const denied = d.outcome === 'deny' || extraReasons.length > 0;
  return {
    ...(redecision ? { decisionId: redecision.replaces, result: redecision.result } : {}),
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
    jurisdiction: d.jurisdiction,
    ...transferColumns(d.transfer),
  };
}

/** The log columns of a move abroad: region, the mechanism relied on (reference, kind, dates) and the separate consent. */
export function transferColumns(
  t: TransferRecord | null,
): Pick<
  LogEntryInput,
  | 'transferTo'
  | 'transferMechanism'
  | 'transferMechanismKind'
  | 'transferValidFrom'
  | 'transferValidUntil'
  | 'transferConsentEventId'
> {
  if (t === null) return {};
  const m = t.mechanism;
  return {
    transferTo: t.to,
    transferMechanism: m?.reference ?? null,
    transferMechanismKind: m?.kind ?? null,
    transferValidFrom: m?.validFrom ?? null,
    transferValidUntil: m?.validUntil ?? null,
    transferConsentEventId: t.consentEventId,
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

/** The log entry of a member who got no decision on this step: held out, not eligible, or exited. */
export function outcomeEntry(
  spec: SendSpec,
  ref: SubjectRef,
  outcome: 'held_out' | 'not_eligible' | 'exited',
  reasons: readonly string[],
  result?: string,
): LogEntryInput {
  return {
    ...common(spec, ref),
    kind: 'outcome',
    outcome,
    reasons: [...reasons],
    templateId: spec.templateId,
    result: result ?? null,
  };
}

/** Idempotency key of one fact about one member on one step of one run: a retry never logs it twice. */
export const factKey = (spec: Pick<SendSpec, 'runId' | 'stepId'>, ref: SubjectRef, fact: string): string =>
  `${spec.runId}|${spec.stepId}|${ref}|${fact}`;

/** The explicit re-decision logged when a reservation finds the consent epoch moved: the allow it replaces no longer holds. */
export function reservationDenialEntry(
  spec: SendSpec,
  ref: SubjectRef,
  replaces: string,
  at: string,
  reasons: readonly string[] = ['consent_changed'],
): LogEntryInput {
  return {
    ...common(spec, ref),
    kind: 'decision',
    outcome: 'deny',
    reasons: [...reasons],
    decisionId: replaces,
    result: 'redecided_at_reservation',
    templateId: spec.templateId,
    at,
  };
}
