import type { Redis } from 'ioredis';
import { logKeyTag, type KeyRing } from '../keyring.js';
import { keyRotatedError } from './decision-log-errors.js';
import type { RedisKeys } from './keys.js';

// The probe key lives in each partition's hash slot, so on a cluster it tests the very node that holds the chain.
const probeKey = (keys: RedisKeys, partition: number) => keys.logHead(partition).replace(/:head$/, ':probe');

/**
 * Checks that an append could land now, without appending (a readiness probe every few seconds would flood the
 * audit log): for each partition, the head reads and a write in its slot is accepted. Redis refuses writes when AOF
 * fsync fails (MISCONF), when out of memory, on a read-only replica or without its minimum replicas; so does an append.
 * The head must also be under this process's log key: after `keys rotate log` a process still holding the old key
 * has every append refused (`key_rotated`), so it is not ready, and the reason says to restart it with the new ring.
 */
export async function probeLogAppend(redis: Redis, keys: RedisKeys, partitions: number, ring: KeyRing): Promise<void> {
  const mine = logKeyTag(ring.current.key);
  await Promise.all(
    Array.from({ length: partitions }, async (_, p) => {
      const res = await redis
        .multi()
        .hmget(keys.logHead(p), 'seq', 'hash', 'kid')
        .set(probeKey(keys, p), Date.now(), 'PX', 60_000)
        .exec();
      const failed = res?.find(([err]) => err);
      if (!res || failed)
        throw new Error(`partition ${p} refuses writes: ${failed?.[0]?.message ?? 'transaction aborted'}`);
      // A head without a key id predates them; the append accepts it, and so does the probe.
      const kid = (res[0]?.[1] as (string | null)[] | undefined)?.[2];
      if (kid && kid !== mine) throw keyRotatedError(ring, p, kid);
    }),
  );
}
