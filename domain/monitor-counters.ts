import type { LogEntry } from './decision-log.js';
import { addCounts, countEntry, emptyCounts, type WindowCounts } from './monitor-window.js';

/**
 * A run's live counters are bucketed by this span of entry time: fine enough that a resume judges at most this much
 * of what preceded it, coarse enough that a 10-minute window is 60 buckets per log partition.
 */
export const COUNTER_BUCKET_MS = 10_000;

/** The bucket an instant falls in. */
export const bucketOf = (ms: number): number => Math.floor(ms / COUNTER_BUCKET_MS);

/** The facts of an allowed send that the review's invariant checks read: equal facts in a bucket are judged once. */
export interface AllowFacts {
  readonly policyVersion: string | null;
  readonly purpose: string | null;
  readonly channel: string | null;
  readonly processor: string | null;
  readonly noticeVersion: string | null;
  readonly fieldsReleased: readonly string[];
}

type Counted = Pick<
  LogEntry,
  | 'kind'
  | 'outcome'
  | 'reasons'
  | 'result'
  | 'runId'
  | 'at'
  | 'policyVersion'
  | 'purpose'
  | 'channel'
  | 'processor'
  | 'noticeVersion'
  | 'fieldsReleased'
>;

const COUNTED = ['decisions', 'denies', 'deliveries', 'hardBounces', 'failures', 'complaints'] as const;
const ALLOW = 'allow|';

/**
 * What one entry adds to its run's counters, as hash field → increment, in the window's own terms (countEntry); an
 * allow also counts under its facts, so the monitor can judge invariant breaches without reading the entries.
 */
export function counterFields(e: Counted): [field: string, n: number][] {
  if (!e.runId) return [];
  const c = countEntry(emptyCounts, e);
  const out: [string, number][] = COUNTED.flatMap((k) => (c[k] > 0 ? [[k, c[k]] as [string, number]] : []));
  if (e.kind === 'decision' && e.outcome === 'allow') {
    const facts: AllowFacts = {
      policyVersion: e.policyVersion,
      purpose: e.purpose,
      channel: e.channel,
      processor: e.processor,
      noticeVersion: e.noticeVersion,
      fieldsReleased: [...e.fieldsReleased].sort(),
    };
    out.push([ALLOW + JSON.stringify(facts), 1]);
  }
  return out;
}

/** One bucket's allowed sends with equal facts. */
export interface AllowGroup {
  readonly facts: AllowFacts;
  readonly atMs: number;
  readonly n: number;
}

/** The counters of a window: the counts (breaches and unsubscribes not yet judged) and the allows to judge. */
export interface CounterTotals {
  readonly counts: WindowCounts;
  readonly allows: readonly AllowGroup[];
}

export const emptyTotals: CounterTotals = { counts: emptyCounts, allows: [] };

/** Adds one bucket hash (as Redis returns it) that started at `atMs`; unknown fields are ignored. */
export function addBucket(t: CounterTotals, atMs: number, hash: Readonly<Record<string, string>>): CounterTotals {
  const add: Record<string, number> = {};
  const allows: AllowGroup[] = [];
  for (const [field, raw] of Object.entries(hash)) {
    const n = Number(raw);
    if (!Number.isInteger(n)) continue;
    if (field.startsWith(ALLOW)) allows.push({ facts: JSON.parse(field.slice(ALLOW.length)) as AllowFacts, atMs, n });
    else if ((COUNTED as readonly string[]).includes(field)) add[field] = n;
  }
  return { counts: addCounts(t.counts, { ...emptyCounts, ...add }), allows: [...t.allows, ...allows] };
}
