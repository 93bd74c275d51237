import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';

// The probe key lives in each partition's hash slot, so on a cluster it tests the very node that holds the chain.
const probeKey = (keys: RedisKeys, partition: number) => keys.logHead(partition).replace(/:head$/, ':probe');

/**
 * Checks that an append could land now, without appending (a readiness probe every few seconds would flood the
 * audit log): for each partition, the head reads and a write in its slot is accepted. Redis refuses writes when AOF
 * fsync fails (MISCONF), when out of memory, on a read-only replica or without its minimum replicas; so does an append.
 */
export async function probeLogAppend(redis: Redis, keys: RedisKeys, partitions: number): Promise<void> {
  await Promise.all(
    Array.from({ length: partitions }, async (_, p) => {
      const res = await redis.multi().hmget(keys.logHead(p), 'seq', 'hash').set(probeKey(keys, p), Date.now(), 'PX', 60_000).exec();
      const failed = res?.find(([err]) => err);
      if (!res || failed) throw new Error(`partition ${p} refuses writes: ${failed?.[0]?.message ?? 'transaction aborted'}`);
    }),
  );
}
