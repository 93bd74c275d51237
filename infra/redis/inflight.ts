import type { Redis } from 'ioredis';

// Redis's clock, as the reservations' expiries are set in Redis's clock too.
const LIVE = "local t = redis.call('TIME') return redis.call('ZCOUNT', KEYS[1], tonumber(t[1]) * 1000, '+inf')";

/** How often a withdrawal re-checks for sends still in flight. */
const POLL_MS = 10;

/**
 * Waits until no reservation in the subject's in-flight set is still live (answered sends are removed, a crashed
 * sender's expire), or `timeoutMs` passes. Used after a withdrawal's write, which already blocks new reservations.
 */
export async function awaitInflightSends(redis: Redis, key: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const live = Number(await redis.eval(LIVE, 1, key));
    if (live === 0) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
