import type { Redis } from 'ioredis';
import type { LogEntry } from '../../domain/decision-log.js';
import {
  addBucket,
  addToSums,
  AllowFields,
  bucketOf,
  COUNTER_BUCKET_MS,
  emptyTotals,
  newCounterSums,
  sumFields,
  type CounterSums,
  type CounterTotals,
} from '../../domain/monitor-counters.js';
import type { RedisKeys } from './keys.js';

/** Counters outlive any sensible monitor window; they are a live view, the log stays the record. */
export const RUN_COUNTER_TTL_S = 2 * 86_400;

/** An entry about to be appended, with its time in ms (already parsed by the appender). */
export interface TimedEntry {
  readonly entry: LogEntry;
  readonly atMs: number;
}

/**
 * What the append script adds to the runs' counters for entries of one chain: (hash, field, increment) triples and
 * the TTL, or nothing when no entry belongs to a run. Sums are kept per run, then bucket, then field, so a counter
 * hash's key is built once per batch rather than once per entry.
 */
export function runCounterArgs(keys: RedisKeys, partition: number, entries: readonly TimedEntry[]): string[] {
  const runs = new Map<string, Map<number, CounterSums>>();
  const allowFields = new AllowFields();
  for (const { entry, atMs } of entries) {
    if (!entry.runId) continue;
    let buckets = runs.get(entry.runId);
    if (!buckets) runs.set(entry.runId, (buckets = new Map()));
    const b = bucketOf(atMs);
    let sums = buckets.get(b);
    if (!sums) buckets.set(b, (sums = newCounterSums()));
    addToSums(sums, entry, allowFields);
  }
  if (runs.size === 0) return [];
  const out: string[] = [];
  for (const [runId, buckets] of runs)
    for (const [b, sums] of buckets) {
      const key = keys.logRunCounts(partition, runId, b);
      sumFields(sums, (field, n) => out.push(key, field, String(n)));
    }
  out.push(String(RUN_COUNTER_TTL_S));
  return out;
}

/**
 * A run's counters summed over the buckets that start in [sinceMs, untilMs), plus the one `untilMs` falls in, across
 * the log's partitions. The window starts at the first bucket boundary from `sinceMs`, never before it, so after a
 * resume nothing from before it is judged again; the far end of a window is up to one bucket short.
 */
export async function readRunCounters(
  redis: Redis,
  keys: RedisKeys,
  partitions: number,
  runId: string,
  sinceMs: number,
  untilMs: number,
): Promise<CounterTotals> {
  const first = Math.ceil(sinceMs / COUNTER_BUCKET_MS);
  const last = bucketOf(untilMs - 1);
  const reads: Promise<[number, Record<string, string>]>[] = [];
  for (let b = first; b <= last; b++)
    for (let p = 0; p < partitions; p++)
      reads.push(redis.hgetall(keys.logRunCounts(p, runId, b)).then((h) => [b * COUNTER_BUCKET_MS, h]));
  let t = emptyTotals;
  for (const [at, h] of await Promise.all(reads)) if (Object.keys(h).length) t = addBucket(t, at, h);
  return t;
}
