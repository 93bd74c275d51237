import { z } from 'zod';

const Days = z.number().int().positive();

/**
 * How long each class of data is kept (PIPL 19, GDPR 5(1)(e)), in days. A scheduled retention run enforces it:
 * profiles are crypto-shredded (their suppression hashes stay), bundles and reports deleted, sealed log segments
 * dropped with their hashes kept in the manifest.
 */
export const RetentionPolicy = z.object({
  /** A profile with no consent activity for this long is shredded. */
  profileAfterLastActivityDays: Days,
  /** A profile whose every consent is withdrawn is shredded this long after the last withdrawal. */
  profileAfterWithdrawalDays: Days,
  /** Consent events are proof of what was agreed: kept at least as long as a send could be challenged. */
  consentEventsDays: Days,
  accessBundlesDays: Days,
  logSegmentsDays: Days,
  reportsDays: Days,
  sendLedgerDays: Days,
});
export type RetentionPolicy = z.infer<typeof RetentionPolicy>;

/** The data classes a retention run acts on, as named in its log entries and the review. */
export const RetentionClass = {
  profile: 'profile',
  consent_events: 'consent_events',
  access_bundle: 'access_bundle',
  log_segment: 'log_segment',
  report: 'report',
  send_ledger: 'send_ledger',
  /** A campaign run's member state (audience, deferred set, journey registry); kept as long as the send ledger. */
  run_state: 'run_state',
} as const;
export type RetentionClass = (typeof RetentionClass)[keyof typeof RetentionClass];

/** The cut-off time for a retention period: anything last touched before it is due. */
export function retentionCutoffMs(nowMs: number, days: number): number {
  return nowMs - days * 86_400_000;
}

/** Why a profile is due for shredding: no consent activity for too long, or every answer withdrawn long enough ago. */
export type ProfileRetentionReason = 'inactive' | 'withdrawn';

/**
 * Whether a profile is past retention at `nowMs`, judged from its current answers (the consent projection: the
 * latest event per purpose and channel, the only activity the engine records): every answer a withdrawal or expiry
 * older than `profileAfterWithdrawalDays`, or the latest answer older than `profileAfterLastActivityDays`. A subject
 * with no consent event is left alone: nothing dates it.
 */
export function profileRetentionDue(
  events: Iterable<{ readonly type: string; readonly occurredAt: string }>,
  r: RetentionPolicy,
  nowMs: number,
): ProfileRetentionReason | undefined {
  let latest = Number.NEGATIVE_INFINITY;
  let anyLive = false;
  for (const e of events) {
    latest = Math.max(latest, Date.parse(e.occurredAt));
    if (e.type === 'granted' || e.type === 'reconfirmed') anyLive = true;
  }
  if (latest === Number.NEGATIVE_INFINITY) return undefined;
  if (!anyLive && latest < retentionCutoffMs(nowMs, r.profileAfterWithdrawalDays)) return 'withdrawn';
  if (latest < retentionCutoffMs(nowMs, r.profileAfterLastActivityDays)) return 'inactive';
  return undefined;
}
