import type { LogEntry } from './decision-log.js';
import { MonitorRate, type MonitorThresholds } from './monitor-thresholds.js';

/** What one campaign's log entries add up to over a stretch of time. */
export interface WindowCounts {
  readonly decisions: number;
  readonly denies: number;
  readonly deliveries: number;
  readonly hardBounces: number;
  readonly failures: number;
  readonly complaints: number;
  readonly unsubscribes: number;
  /** Allowed sends the review would flag. */
  readonly breaches: number;
}

export const emptyCounts: WindowCounts = {
  decisions: 0,
  denies: 0,
  deliveries: 0,
  hardBounces: 0,
  failures: 0,
  complaints: 0,
  unsubscribes: 0,
  breaches: 0,
};

/** The sum of two counts. */
export function addCounts(a: WindowCounts, b: WindowCounts): WindowCounts {
  const out = { ...a } as Record<keyof WindowCounts, number>;
  for (const k of Object.keys(b) as (keyof WindowCounts)[]) out[k] += b[k];
  return out;
}

type Counted = Pick<LogEntry, 'kind' | 'outcome' | 'reasons' | 'result'>;

/** Adds one log entry of the campaign; `breach` says whether the review would flag this allowed send. */
export function countEntry(c: WindowCounts, e: Counted, breach = false): WindowCounts {
  // The complaint kind is written by complaint intake; compared as text so the monitor reads it as soon as it exists.
  if ((e.kind as string) === 'complaint') return { ...c, complaints: c.complaints + 1 };
  if (e.kind === 'decision') {
    // A re-decision at reservation replaces an allow already counted: it adds a deny, not a second decision.
    const redecided = e.result === 'redecided_at_reservation';
    return {
      ...c,
      decisions: c.decisions + (redecided ? 0 : 1),
      denies: c.denies + (e.outcome === 'deny' ? 1 : 0),
      breaches: c.breaches + (breach && e.outcome === 'allow' ? 1 : 0),
    };
  }
  if (e.kind === 'delivery' && (e.outcome === 'sent' || e.outcome === 'failed')) {
    const failed = e.outcome === 'failed';
    return {
      ...c,
      deliveries: c.deliveries + 1,
      failures: c.failures + (failed ? 1 : 0),
      hardBounces: c.hardBounces + (failed && e.reasons.includes('hard_bounce') ? 1 : 0),
    };
  }
  return c;
}

/** One threshold the window crossed, with the figures that crossed it. */
export interface Crossing {
  readonly rate: MonitorRate | 'invariant_breach';
  readonly count: number;
  readonly sample: number;
  readonly value: number;
  readonly threshold: number;
}

const RATE_OF: Readonly<Record<MonitorRate, (c: WindowCounts) => readonly [count: number, sample: number]>> = {
  deny: (c) => [c.denies, c.decisions],
  hard_bounce: (c) => [c.hardBounces, c.deliveries],
  failure: (c) => [c.failures, c.deliveries],
  // Complaints and unsubscribes answer messages delivered; the window's deliveries stand in for them.
  complaint: (c) => [c.complaints, c.deliveries],
  unsubscribe: (c) => [c.unsubscribes, c.deliveries],
};

/** The thresholds a window crosses; a rate is judged only once its sample reaches `minSample`. */
export function crossings(c: WindowCounts, t: MonitorThresholds): Crossing[] {
  const out: Crossing[] = [];
  for (const rate of Object.values(MonitorRate)) {
    const [count, sample] = RATE_OF[rate](c);
    const threshold = t.maxRates[rate];
    if (sample >= t.minSample && count / sample > threshold)
      out.push({ rate, count, sample, value: count / sample, threshold });
  }
  if (c.breaches > t.maxInvariantBreaches)
    out.push({
      rate: 'invariant_breach',
      count: c.breaches,
      sample: c.decisions,
      value: c.breaches,
      threshold: t.maxInvariantBreaches,
    });
  return out;
}

/** Figures of a crossing as log and alert text: `hard_bounce=12/40(0.3000>0.05)`. */
export const crossingText = (x: Crossing): string =>
  `${x.rate}=${x.count}/${x.sample}(${x.rate === 'invariant_breach' ? x.value : x.value.toFixed(4)}>${x.threshold})`;

/** A stretch of counts, as the monitor keeps them: one per tick. */
export interface Bucket {
  readonly at: number;
  readonly counts: WindowCounts;
}

/** The buckets still inside the window ending at `now`, and their sum. */
export function slide(
  buckets: readonly Bucket[],
  now: number,
  windowMs: number,
): { buckets: Bucket[]; total: WindowCounts } {
  const kept = buckets.filter((b) => b.at > now - windowMs);
  return { buckets: kept, total: kept.reduce((a, b) => addCounts(a, b.counts), emptyCounts) };
}
