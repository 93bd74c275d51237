import type { Redis } from 'ioredis';

/**
 * Reports a Redis connection's state in two lines per outage: when it is lost and when it is back. Without an
 * `error` listener ioredis prints every failed reconnect as an unhandled error with a stack.
 */
export function watchConnection(
  redis: Redis,
  name: string,
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): void {
  let lostAt: number | undefined;
  redis.on('error', (e: Error) => {
    if (lostAt !== undefined) return;
    lostAt = Date.now();
    write(`[${name}] lost Redis: ${e.message}; sends wait (fail closed) and retry until it is back`);
  });
  redis.on('ready', () => {
    if (lostAt === undefined) return;
    write(`[${name}] Redis is back after ${((Date.now() - lostAt) / 1000).toFixed(1)} s`);
    lostAt = undefined;
  });
}
