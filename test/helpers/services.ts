import { after } from 'node:test';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';

function need(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(
      `${name} is not set: run tests through \`npm test\` or \`npx tsx scripts/test.ts <file filter>\`, which start Redis and Temporal.`,
    );
  return v;
}

/** A Redis connection to the run's shared server plus a key prefix no other test uses; closed after the file. */
export function testRedis(): { redis: Redis; prefix: string; url: string } {
  const url = need('CF_TEST_REDIS_URL');
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  after(() => redis.quit().then(() => undefined));
  return { redis, prefix: `t${ulid().toLowerCase()}:`, url };
}

/** The run's Temporal address and namespace, plus a task queue no other test uses. */
export function testTemporal(): { address: string; namespace: string; taskQueue: string } {
  return {
    address: need('CF_TEST_TEMPORAL_ADDRESS'),
    namespace: need('CF_TEST_NAMESPACE'),
    taskQueue: `tq-${ulid().toLowerCase()}`,
  };
}

/** A fresh unique id for test data. */
export const uniqueId = (p = 'x'): string => `${p}-${ulid().toLowerCase()}`;
