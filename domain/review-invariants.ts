import type { ConsentEvent } from './consent.js';
import type { LogEntry } from './decision-log.js';
import type { CompiledPolicy } from './policy.js';
import {
  agreementInvalid,
  consentGivenAt,
  fieldsOutsidePurpose,
  noticeOutdated,
  withdrawnBefore,
  type DecisionFacts,
} from './review-checks.js';
import { MAX_LISTED_IDS, type Finding } from './review-report.js';
import type { ReviewState } from './review-state.js';
import { unaccountedIn } from './run.js';

/** Counts one entry against a finding, listing its id while the list has room. */
export function note(f: Finding, id: string): void {
  f.count++;
  if (f.entryIds.length < MAX_LISTED_IDS) f.entryIds.push(id);
}

/**
 * Flags a run summary that leaves audience members unaccounted for: every run must account for every one, and a
 * summary that states no count fails closed.
 */
export function checkRun(s: ReviewState, e: LogEntry): void {
  const stated = unaccountedIn(e.result);
  const n = Number.isFinite(stated) ? stated : 1;
  if (n === 0) return;
  const f = (s.invariants.unaccounted_subjects ??= { count: 0, entryIds: [] });
  f.count += n;
  if (f.entryIds.length < MAX_LISTED_IDS) f.entryIds.push(e.id);
}

/** Flags an allow decision that released fields outside its purpose, or relied on consent older than it allows. */
export function checkAllow(s: ReviewState, policy: CompiledPolicy, e: LogEntry, events: readonly ConsentEvent[]): void {
  if (fieldsOutsidePurpose(policy, e.purpose, e.channel, e.fieldsReleased).length)
    note(s.invariants.field_outside_purpose, e.id);
  const given = consentGivenAt(events, e.consentEventId);
  const maxAge = e.purpose === null ? undefined : policy.purposes.get(e.purpose)?.maxConsentAgeMs;
  if (given !== null && maxAge !== undefined && Date.parse(e.at) - given > maxAge) note(s.staleReliedOn, e.id);
}

/**
 * Flags a sent delivery that no allow decision authorised, that went to a processor without a valid agreement, or
 * whose decision came after a withdrawal or under an outdated notice; `policy` is the one its decision was made under.
 */
export function checkSend(
  s: ReviewState,
  policy: CompiledPolicy,
  e: LogEntry,
  d: DecisionFacts | undefined,
  events: readonly ConsentEvent[],
): void {
  // The authorising decision must be an allow for this subject, earlier in the same chain.
  const authorised =
    d !== undefined &&
    d.outcome === 'allow' &&
    d.subjectRef === e.subjectRef &&
    d.partition === e.partition &&
    d.seq < e.seq;
  if (!authorised) note(s.invariants.send_without_allow, e.id);
  if (agreementInvalid(policy, e.processor, Date.parse(e.at))) note(s.invariants.processor_agreement_invalid, e.id);
  if (d === undefined) return;
  const decidedMs = Date.parse(d.at);
  if (withdrawnBefore(policy, events, d.purpose, d.channel, decidedMs)) note(s.invariants.send_after_withdrawal, e.id);
  if (noticeOutdated(policy, d.purpose, d.noticeVersion, decidedMs)) note(s.invariants.send_outdated_notice, e.id);
}
