import { z } from 'zod';
import type { LogEntry } from './decision-log.js';
import { RetentionClass, type RetentionPolicy } from './retention.js';
import { removedDataOf } from './retention-entry.js';

/**
 * Data may sit past its cut-off until the next daily run has gone through, plus a retry's margin; older than that,
 * the schedule is not doing its job (stopped, failing, or refusing), which the review reports as a violation.
 */
export const RETENTION_GRACE_DAYS = 2;

const Count = z.number().int().min(0);
const Iso = z.iso.datetime({ precision: 3 });

/** One data class in the review: what retention removed in the period, and whether it still holds overdue data. */
export const RetentionClassReview = z.object({
  cls: z.enum(RetentionClass),
  retentionDays: Count,
  /** Retention log entries in the period, and the items they removed (log entries, events, records, files, profiles). */
  actions: Count,
  removed: Count,
  /** The oldest and newest time the removed data carried, when the entries say (profiles do not). */
  oldestRemoved: Iso.nullable(),
  newestRemoved: Iso.nullable(),
  /** When the first and last removal of the period were logged. */
  firstRemovalAt: Iso.nullable(),
  lastRemovalAt: Iso.nullable(),
  /** Items still held that are past retention by more than the grace period; null when they could not be counted. */
  overdue: Count.nullable(),
  /** The oldest such item's date, when known. */
  oldestOverdue: Iso.nullable(),
});
export type RetentionClassReview = z.infer<typeof RetentionClassReview>;

/** The review's retention section. */
export const RetentionReview = z.object({
  graceDays: Count,
  classes: z.array(RetentionClassReview),
  /** Classes holding data past retention (plus grace): each fails the review as `retention_overdue`. */
  violations: z.array(z.enum(RetentionClass)),
  /** Why a class could not be checked, or why retention refused an action in the period. */
  notes: z.array(z.string()),
});
export type RetentionReview = z.infer<typeof RetentionReview>;

/** Per class, what is held past retention plus grace: a count and the oldest date (ms), or null when unknown. */
export type OverdueHoldings = Readonly<
  Record<RetentionClass, { readonly count: number; readonly oldestMs: number | null } | null>
>;

/** The days of retention of each class under `r`; profiles count from the shorter of their two periods. */
export function retentionDaysOf(r: RetentionPolicy): Readonly<Record<RetentionClass, number>> {
  return {
    profile: Math.min(r.profileAfterLastActivityDays, r.profileAfterWithdrawalDays),
    consent_events: r.consentEventsDays,
    access_bundle: r.accessBundlesDays,
    log_segment: r.logSegmentsDays,
    report: r.reportsDays,
    send_ledger: r.sendLedgerDays,
    run_state: r.sendLedgerDays,
  };
}

const iso = (ms: number | null): string | null =>
  ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();

/** Builds the section from the period's retention entries (any kind: non-retention ones are ignored) and what is held. */
export function buildRetentionReview(
  entries: Iterable<LogEntry>,
  held: OverdueHoldings,
  r: RetentionPolicy,
  notes: readonly string[] = [],
): RetentionReview {
  const acc = new Map<
    RetentionClass,
    { actions: number; removed: number; from: number; to: number; first: number; last: number }
  >();
  for (const e of entries) {
    if (e.kind !== 'operator' || e.stepId !== 'retention') continue;
    const d = removedDataOf(e.result);
    if (d === null) continue;
    const a = acc.get(d.cls) ?? {
      actions: 0,
      removed: 0,
      from: Infinity,
      to: -Infinity,
      first: Infinity,
      last: -Infinity,
    };
    const at = Date.parse(e.at);
    acc.set(d.cls, {
      actions: a.actions + 1,
      removed: a.removed + d.n,
      from: Math.min(a.from, d.fromMs ?? Infinity),
      to: Math.max(a.to, d.toMs ?? -Infinity),
      first: Math.min(a.first, at),
      last: Math.max(a.last, at),
    });
  }
  const days = retentionDaysOf(r);
  const classes = Object.values(RetentionClass).map((cls): RetentionClassReview => {
    const a = acc.get(cls);
    const h = held[cls];
    return {
      cls,
      retentionDays: days[cls],
      actions: a?.actions ?? 0,
      removed: a?.removed ?? 0,
      oldestRemoved: iso(a?.from ?? null),
      newestRemoved: iso(a?.to ?? null),
      firstRemovalAt: iso(a?.first ?? null),
      lastRemovalAt: iso(a?.last ?? null),
      overdue: h === null ? null : h.count,
      oldestOverdue: iso(h?.oldestMs ?? null),
    };
  });
  const violations = classes.filter((c) => (c.overdue ?? 0) > 0).map((c) => c.cls);
  return RetentionReview.parse({ graceDays: RETENTION_GRACE_DAYS, classes, violations, notes: [...notes] });
}
