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
 * What a batch adds to one counter hash: its entries by what countEntry reads of them (kind, outcome, result,
 * reasons: equal ones count the same, so each such class is counted once and multiplied), and the allows by their
 * facts' field.
 */
export interface CounterSums {
  readonly classes: Map<string, { readonly entry: Counted; n: number }>;
  readonly allows: Map<string, number>;
}

export const newCounterSums = (): CounterSums => ({ classes: new Map(), allows: new Map() });

const sameList = (a: readonly string[], b: readonly string[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/**
 * The field an allow counts under: its facts as JSON. The allows of one batch nearly always share their facts, so an
 * entry with the same facts as the one before reuses that one's text instead of sorting and serialising again.
 */
export class AllowFields {
  private last: Counted | undefined;
  private lastField = '';

  of(e: Counted): string {
    const l = this.last;
    if (
      l === undefined ||
      l.policyVersion !== e.policyVersion ||
      l.purpose !== e.purpose ||
      l.channel !== e.channel ||
      l.processor !== e.processor ||
      l.noticeVersion !== e.noticeVersion ||
      !sameList(l.fieldsReleased, e.fieldsReleased)
    ) {
      const facts: AllowFacts = {
        policyVersion: e.policyVersion,
        purpose: e.purpose,
        channel: e.channel,
        processor: e.processor,
        noticeVersion: e.noticeVersion,
        fieldsReleased: [...e.fieldsReleased].sort(),
      };
      this.lastField = ALLOW + JSON.stringify(facts);
    }
    this.last = e;
    return this.lastField;
  }
}

/** Adds one entry of a run to its counter hash's sums; an allow also counts under its facts. */
export function addToSums(s: CounterSums, e: Counted, allowFields: AllowFields): void {
  // Kinds and outcomes are enum words, reasons snake_case codes and a result is never empty: the key is unambiguous.
  const key = `${e.kind}|${e.outcome}|${e.result ?? ''}|${e.reasons.join(',')}`;
  const c = s.classes.get(key);
  if (c) c.n++;
  else s.classes.set(key, { entry: e, n: 1 });
  if (e.kind === 'decision' && e.outcome === 'allow') {
    const field = allowFields.of(e);
    s.allows.set(field, (s.allows.get(field) ?? 0) + 1);
  }
}

/**
 * The sums as counter hash fields and increments, handed to `out` (fields with nothing to add left out), so the
 * monitor can judge invariant breaches without reading the entries.
 */
export function sumFields(s: CounterSums, out: (field: string, n: number) => void): void {
  const total: Record<keyof WindowCounts, number> = { ...emptyCounts };
  for (const { entry, n } of s.classes.values()) {
    const one = countEntry(emptyCounts, entry);
    for (const k of COUNTED) total[k] += n * one[k];
  }
  for (const k of COUNTED) if (total[k] > 0) out(k, total[k]);
  for (const [field, n] of s.allows) out(field, n);
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
