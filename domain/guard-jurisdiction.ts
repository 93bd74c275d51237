import type { ConsentEvent } from './consent.js';
import { projectionKey, type GuardState } from './consent-state.js';
import { isoToMs } from './iso-time.js';
import { type CompiledJurisdiction, mayBeUnder, type TransferMechanism } from './jurisdiction.js';
import {
  type CompiledPolicy,
  type CompiledProcessor,
  type CompiledPurpose,
  isAbroad,
  jurisdictionOf,
  transferMechanismAt,
} from './policy.js';
import { ReasonCode } from './reasons.js';

const sendable = (e: ConsentEvent | undefined): e is ConsentEvent =>
  e !== undefined && (e.type === 'granted' || e.type === 'reconfirmed') && e.pending !== true;

/** What a decision records about data leaving the subject's jurisdiction: where to, and what it relied on. */
export interface TransferRecord {
  /** The processor's region (its rule code). */
  readonly to: string;
  /** The mechanism in force at decision time, or null when there was none. */
  readonly mechanism: TransferMechanism | null;
  /** The separate consent to this recipient (PIPL 39), or null when none was needed or none holds. */
  readonly consentEventId: string | null;
}

/** What the guard learned from the jurisdiction rules, for the log: the rule applied and any transfer abroad. */
export interface JurisdictionFacts {
  readonly jurisdiction: string;
  readonly transfer: TransferRecord | null;
}

/**
 * A separate, current consent to this recipient, given under a notice that names it (PIPL 39); on `channel`, or on
 * any channel of the transfer purpose when the move is no message (a processor notice).
 */
function transferConsent(
  proc: CompiledProcessor,
  channel: string | undefined,
  state: GuardState,
  policy: CompiledPolicy,
  nowMs: number,
  minor: boolean,
): string | null {
  for (const tp of policy.transferPurposes.get(proc.processor.id) ?? []) {
    for (const c of channel === undefined ? tp.purpose.channels : [channel]) {
      const e = state.consent[projectionKey(tp.purpose.id, c)];
      if (!sendable(e) || nowMs - isoToMs(e.occurredAt) > tp.maxConsentAgeMs) continue;
      if (policy.noticeRecipients.get(e.noticeHash)?.has(proc.processor.id) !== true) continue;
      if (e.noticeVersion < tp.purpose.minNoticeVersion) continue;
      if (minor && e.givenBy !== 'guardian') continue;
      return e.id;
    }
  }
  return null;
}

/**
 * Judges moving a subject's data from jurisdiction `j` to a processor: null when it stays inside `j`, else the
 * mechanism and separate consent relied on, pushing a reason for each the rule requires and that is missing.
 * Sends and processor notices that carry new data both go through here.
 */
export function judgeTransfer(
  proc: CompiledProcessor,
  j: CompiledJurisdiction,
  channel: string | undefined,
  state: GuardState,
  policy: CompiledPolicy,
  nowMs: number,
  minor: boolean,
  out: ReasonCode[],
): TransferRecord | null {
  if (!isAbroad(proc, j)) return null;
  const mechanism = transferMechanismAt(proc, j, nowMs) ?? null;
  const consentEventId = j.separateConsent ? transferConsent(proc, channel, state, policy, nowMs, minor) : null;
  if (j.mechanismRequired && mechanism === null) out.push(ReasonCode.cross_border_transfer_not_permitted);
  if (j.separateConsent && consentEventId === null) out.push(ReasonCode.cross_border_consent_missing);
  return { to: proc.regionCode, mechanism, consentEventId };
}

/** Whether the subject may be under the rule's guardian age (a year alone leaves a doubt). */
export const mayBeMinor = (state: GuardState, j: CompiledJurisdiction, nowMs: number): boolean =>
  state.birthYear !== undefined && mayBeUnder(state.birthYear, j.guardianAge, nowMs);

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
): JurisdictionFacts {
  const j = jurisdictionOf(policy, e.jurisdiction);
  const offered = cp.purpose.jurisdictions;
  if (offered !== undefined && (!j.known || !offered.includes(j.code))) out.push(ReasonCode.jurisdiction_not_offered);
  if (!j.bases.has(cp.purpose.legalBasis)) out.push(ReasonCode.legal_basis_not_permitted);
  if (state.birthYear === undefined && j.ageRequired) out.push(ReasonCode.age_unknown);
  const minor = mayBeMinor(state, j, nowMs);
  if (minor && e.givenBy !== 'guardian') out.push(ReasonCode.guardian_consent_missing);
  const transfer = proc === undefined ? null : judgeTransfer(proc, j, channel, state, policy, nowMs, minor, out);
  // An unknown code is logged as recorded, so the review resolves it to the strictest rule again.
  return { jurisdiction: j.known ? j.code : e.jurisdiction, transfer };
}
