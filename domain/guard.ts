import { z } from 'zod';
import type { ConsentEvent } from './consent.js';
import type { GuardState } from './consent-state.js';
import { isoToMs, msToIso } from './iso-time.js';
import { SubjectRef } from './ids.js';
import type { CompiledPolicy, CompiledPurpose } from './policy.js';
import { ReasonCode } from './reasons.js';
import { checkJurisdiction, type JurisdictionFacts, type TransferRecord } from './guard-jurisdiction.js';

export { ReasonCode, reasonOrder } from './reasons.js';
export type { TransferRecord } from './guard-jurisdiction.js';

/** One send the guard must decide on; purpose, channel and processor stay plain strings so unknowns deny. */
export const GuardRequest = z.object({
  campaignId: z.string().min(1),
  stepId: z.string().min(1),
  subjectRef: SubjectRef,
  purpose: z.string().min(1),
  channel: z.string().min(1),
  processor: z.string().min(1),
  templateId: z.string().min(1),
  /** The template's merge fields; the channel's address field is added if missing. */
  fields: z.array(z.string().min(1)),
});
export type GuardRequest = z.infer<typeof GuardRequest>;

interface DecisionBase {
  readonly campaignId: string;
  readonly stepId: string;
  readonly subjectRef: SubjectRef;
  readonly purpose: string;
  readonly channel: string;
  readonly processor: string;
  readonly templateId: string;
  /** The template's fields plus the channel's address field. Arrays may be shared: treat them as read-only. */
  readonly fieldsRequested: readonly string[];
  readonly fieldsReleased: readonly string[];
  readonly fieldsWithheld: readonly string[];
  /** The consent event the decision relied on (a withdrawal too), or null when none was found. */
  readonly consentEventId: string | null;
  readonly noticeVersion: number | null;
  readonly policyVersion: string;
  readonly decidedAt: string;
  /** The jurisdiction rule applied (from the consent relied on), or null when no live consent was judged. */
  readonly jurisdiction: string | null;
  /** The move abroad the send makes, with the mechanism and separate consent relied on; null when none. */
  readonly transfer: TransferRecord | null;
}
/** The guard said yes: every requested field is released. */
export interface AllowDecision extends DecisionBase {
  readonly outcome: 'allow';
}
/** The guard said no: nothing is released; `reasons` lists every reason that applies, in precedence order. */
export interface DenyDecision extends DecisionBase {
  readonly outcome: 'deny';
  readonly reasons: readonly ReasonCode[];
  /** The requested fields outside the purpose's or processor's allow-list. */
  readonly fieldsNotAllowed: readonly string[];
}
/** The result of `decide()`. */
export type Decision = AllowDecision | DenyDecision;

const NONE: readonly string[] = Object.freeze([]);

function isSuppressed(state: GuardState, channel: string): boolean {
  for (const s of state.suppressions) if (s.channel === undefined || s.channel === channel) return true;
  return false;
}

function latestMaterialVersion(policy: CompiledPolicy, nowMs: number): number {
  for (const n of policy.materialNotices) if (n.effectiveAtMs <= nowMs) return n.version;
  return 0;
}

function findConsent(cp: CompiledPurpose, state: GuardState, channel: string): ConsentEvent | undefined {
  const keys = cp.consentKeys[channel];
  if (keys === undefined) return undefined;
  // Normal purposes: the most specific recorded answer wins (an exact withdrawal beats an ancestor's grant).
  for (const k of keys) {
    const e = state.consent[k];
    if (e !== undefined) return e;
  }
  return undefined;
}

function checkConsent(
  e: ConsentEvent,
  cp: CompiledPurpose,
  policy: CompiledPolicy,
  nowMs: number,
  out: ReasonCode[],
): void {
  if (e.type === 'withdrawn') return void out.push(ReasonCode.consent_withdrawn);
  if (e.type === 'expired') return void out.push(ReasonCode.consent_expired);
  if (e.pending === true) return void out.push(ReasonCode.consent_pending);
  const p = cp.purpose;
  if (nowMs - isoToMs(e.occurredAt) > cp.maxConsentAgeMs) out.push(ReasonCode.consent_expired);
  if (e.legalBasis !== p.legalBasis) out.push(ReasonCode.legal_basis_mismatch);
  if (policy.noticeHashes.get(e.noticeVersion)?.has(e.noticeHash) !== true) out.push(ReasonCode.notice_unknown);
  if (e.noticeVersion < p.minNoticeVersion || e.noticeVersion < latestMaterialVersion(policy, nowMs))
    out.push(ReasonCode.notice_outdated);
}

/** Decides, purely and failing closed, whether this message may go out and with which fields. */
export function decide(req: GuardRequest, state: GuardState, policy: CompiledPolicy, now: Date): Decision {
  const nowMs = now.getTime();
  const reasons: ReasonCode[] = [];
  const stateOk = state.loadError === undefined;
  const cp = policy.purposes.get(req.purpose);
  const address = policy.addressFields.get(req.channel);
  const proc = policy.processors.get(req.processor);

  if (!stateOk) reasons.push(ReasonCode.state_unavailable);
  if (stateOk && state.erased) reasons.push(ReasonCode.subject_erased);
  if (stateOk && isSuppressed(state, req.channel)) reasons.push(ReasonCode.suppressed);
  if (stateOk && cp?.purpose.personalised === true && state.personalisation !== 'on')
    reasons.push(ReasonCode.personalisation_off);
  if (cp === undefined) reasons.push(ReasonCode.purpose_unknown);
  if (address === undefined || (cp !== undefined && !cp.channels.has(req.channel)))
    reasons.push(ReasonCode.channel_not_allowed);
  if (proc === undefined) reasons.push(ReasonCode.processor_unknown);
  else {
    if (!proc.purposes.has(req.purpose)) reasons.push(ReasonCode.processor_not_authorized);
    if (!proc.hasAgreement || nowMs < proc.validFromMs || nowMs >= proc.validUntilMs)
      reasons.push(ReasonCode.processor_agreement_expired);
  }

  const requested = address === undefined || req.fields.includes(address) ? req.fields : [...req.fields, address];
  let notAllowed: string[] | undefined;
  for (const f of requested) {
    // Unknown purpose or processor are reported above; only a known allow-list can reject a field.
    const purposeOk = cp === undefined || f === address || cp.allowedFields.has(f);
    if (!purposeOk || (proc !== undefined && !proc.fields.has(f))) (notAllowed ??= []).push(f);
  }
  if (notAllowed !== undefined) reasons.push(ReasonCode.field_not_allowed);

  let event: ConsentEvent | undefined;
  let facts: JurisdictionFacts | undefined;
  if (stateOk && cp !== undefined && address !== undefined) {
    event = findConsent(cp, state, req.channel);
    if (cp.exactConsentOnly && event === undefined) reasons.push(ReasonCode.separate_consent_missing);
    if (event === undefined) reasons.push(ReasonCode.no_consent);
    else {
      checkConsent(event, cp, policy, nowMs, reasons);
      // A withdrawn, expired or pending answer already denies; only a live one is judged by its jurisdiction's rules.
      if ((event.type === 'granted' || event.type === 'reconfirmed') && event.pending !== true)
        facts = checkJurisdiction(event, cp, proc, req.channel, state, policy, nowMs, reasons);
    }
  }

  // Two literals with one field order instead of spreading a shared base: this is the hot path.
  const consentEventId = event?.id ?? null;
  const noticeVersion = event?.noticeVersion ?? null;
  const decidedAt = msToIso(nowMs);
  const jurisdiction = facts?.jurisdiction ?? null;
  const transfer = facts?.transfer ?? null;
  if (reasons.length === 0) {
    return {
      outcome: 'allow',
      campaignId: req.campaignId,
      stepId: req.stepId,
      subjectRef: req.subjectRef,
      purpose: req.purpose,
      channel: req.channel,
      processor: req.processor,
      templateId: req.templateId,
      fieldsRequested: requested,
      fieldsReleased: requested,
      fieldsWithheld: NONE,
      consentEventId,
      noticeVersion,
      policyVersion: policy.version,
      decidedAt,
      jurisdiction,
      transfer,
    };
  }
  return {
    outcome: 'deny',
    campaignId: req.campaignId,
    stepId: req.stepId,
    subjectRef: req.subjectRef,
    purpose: req.purpose,
    channel: req.channel,
    processor: req.processor,
    templateId: req.templateId,
    fieldsRequested: requested,
    fieldsReleased: NONE,
    fieldsWithheld: requested,
    consentEventId,
    noticeVersion,
    policyVersion: policy.version,
    decidedAt,
    jurisdiction,
    transfer,
    reasons,
    fieldsNotAllowed: notAllowed ?? NONE,
  };
}
