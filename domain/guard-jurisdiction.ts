import type { ConsentEvent } from './consent.js';
import { projectionKey, type GuardState } from './consent-state.js';
import { isoToMs } from './iso-time.js';
import { mayBeUnder } from './jurisdiction.js';
import { type CompiledPolicy, type CompiledProcessor, type CompiledPurpose, hasTransferMechanism, isAbroad, jurisdictionOf } from './policy.js';
import { ReasonCode } from './reasons.js';

const sendable = (e: ConsentEvent | undefined): e is ConsentEvent => e !== undefined && (e.type === 'granted' || e.type === 'reconfirmed') && e.pending !== true;

/** A separate, current consent to this recipient, given under a notice that names it (PIPL 39). */
function hasTransferConsent(proc: CompiledProcessor, channel: string, state: GuardState, policy: CompiledPolicy, nowMs: number, minor: boolean): boolean {
  for (const tp of policy.transferPurposes.get(proc.processor.id) ?? []) {
    const e = state.consent[projectionKey(tp.purpose.id, channel)];
    if (!sendable(e) || nowMs - isoToMs(e.occurredAt) > tp.maxConsentAgeMs) continue;
    if (policy.noticeRecipients.get(e.noticeHash)?.has(proc.processor.id) !== true) continue;
    if (e.noticeVersion < tp.purpose.minNoticeVersion) continue;
    if (minor && e.givenBy !== 'guardian') continue;
    return true;
  }
  return false;
}

/**
 * Applies the rules of the jurisdiction recorded on the consent the send relies on: where the purpose is offered,
 * the legal bases allowed, a guardian's consent under the age threshold, and transfers to a processor abroad.
 */
export function checkJurisdiction(
  e: ConsentEvent,
  cp: CompiledPurpose,
  proc: CompiledProcessor | undefined,
  channel: string,
  state: GuardState,
  policy: CompiledPolicy,
  nowMs: number,
  out: ReasonCode[],
): void {
  const j = jurisdictionOf(policy, e.jurisdiction);
  const offered = cp.purpose.jurisdictions;
  if (offered !== undefined && (!j.known || !offered.includes(j.code))) out.push(ReasonCode.jurisdiction_not_offered);
  if (!j.bases.has(cp.purpose.legalBasis)) out.push(ReasonCode.legal_basis_not_permitted);
  if (state.birthYear === undefined && j.ageRequired) out.push(ReasonCode.age_unknown);
  const minor = state.birthYear !== undefined && mayBeUnder(state.birthYear, j.guardianAge, nowMs);
  if (minor && e.givenBy !== 'guardian') out.push(ReasonCode.guardian_consent_missing);
  if (proc === undefined || !isAbroad(proc, j)) return;
  if (j.mechanismRequired && !hasTransferMechanism(proc, j, nowMs)) out.push(ReasonCode.cross_border_transfer_not_permitted);
  if (j.separateConsent && !hasTransferConsent(proc, channel, state, policy, nowMs, minor)) out.push(ReasonCode.cross_border_consent_missing);
}
