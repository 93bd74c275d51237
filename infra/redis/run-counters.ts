import type { Redis } from 'ioredis';
import type { LogEntry } from '../../domain/decision-log.js';
import {
  addBucket,
  bucketOf,
  COUNTER_BUCKET_MS,
  counterFields,
  emptyTotals,
  type CounterTotals,
} from '../../domain/monitor-counters.js';
import type { RedisKeys } from './keys.js';

/** Counters outlive any sensible monitor window; they are a live view, the log stays the record. */
export const RUN_COUNTER_TTL_S = 2 * 86_400;

/**
 * What the append script adds to the runs' counters for entries of one chain: (hash, field, increment) triples and
 * the TTL, or nothing when no entry belongs to a run.
 */
export function runCounterArgs(keys: RedisKeys, partition: number, entries: readonly LogEntry[]): string[] {
  const sums = new Map<string, number>();
  for (const e of entries)
    for (const [field, n] of counterFields(e)) {
      const k = `${keys.logRunCounts(partition, e.runId!, bucketOf(Date.parse(e.at)))}\n${field}`;
      sums.set(k, (sums.get(k) ?? 0) + n);
    }
  if (sums.size === 0) return [];
  return [...[...sums].flatMap(([k, n]) => [...k.split('\n'), String(n)]), String(RUN_COUNTER_TTL_S)];
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
