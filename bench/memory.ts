// Memory benchmark: Redis memory per subject after an import with one consent answer each, from `INFO memory`
// deltas, and what each per-subject key costs (`MEMORY USAGE`, sampled). Prints JSON lines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { SubjectRef } from '../domain/ids.js';
import { createServices } from '../infra/compose.js';
import { buildConfig, parseEnv } from '../infra/config.js';
import { startRedis } from '../infra/embedded/redis.js';
import { policy } from '../policy/index.js';
import { consentEvent } from '../test/helpers/engine.js';

const emit = (metric: string, fields: Record<string, unknown>) =>
  console.log(JSON.stringify({ bench: 'memory', metric, ...fields }));
const usedMemory = async (redis: Redis) => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);

/** `npm run bench -- memory [--subjects 20000]`. */
export async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: { subjects: { type: 'string', default: '20000' } },
  });
  const n = Number(values.subjects);
  const dir = mkdtempSync(join(tmpdir(), 'cf-bench-memory-'));
  const redisSvc = await startRedis({ dataDir: join(dir, 'redis') });
  const key = (b: number) => Buffer.alloc(32, b).toString('base64');
  const env = {
    ...process.env,
    CONSENTFLOW_MASTER_KEY: key(1),
    CONSENTFLOW_PSEUDONYM_KEY: key(2),
    CONSENTFLOW_LOG_KEY: key(3),
    CONSENTFLOW_TOKEN_KEY: key(4),
    CONSENTFLOW_CODEC_KEY: key(5),
    CONSENTFLOW_DATA_DIR: dir,
    REDIS_URL: redisSvc.url,
  };
  const redis = new Redis(redisSvc.url, { enableAutoPipelining: true });
  try {
    const services = createServices(buildConfig(parseEnv(env)), redis, policy);
    const before = await usedMemory(redis);
    const refs: SubjectRef[] = [];
    for (let i = 0; i < n; i += 1000) {
      const rows = Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
        subjectId: `m-${i + j}`,
        fields: {
          email: `m-${i + j}@example.org`,
          first_name: `N${i + j}`,
          loyalty_tier: 'gold',
          preferred_store: 'Mitte',
        },
      }));
      const written = await services.subjects.upsertMany(rows);
      await Promise.all(
        written.map(async (w) =>
          w.status === 'written'
            ? (refs.push(w.ref),
              services.consent.append(consentEvent(w.ref, { purpose: 'marketing.email.promotions' })))
            : undefined,
        ),
      );
    }
    const perSubject = ((await usedMemory(redis)) - before) / n;
    emit('redis_memory_per_subject', { subjects: n, bytes: Math.round(perSubject), goal_bytes: 3_500 });
    // Which keys the bytes sit in: MEMORY USAGE of every per-subject key of a sample of subjects.
    const sample = refs.filter((_, i) => i % Math.max(1, Math.floor(n / 200)) === 0);
    const k = services.keys;
    const kinds = {
      consent_events: k.consentEvents,
      consent_state: k.consentState,
      profile: k.profile,
      data_key: k.dataKey,
      epoch: k.epoch,
      address_hashes: k.addressHashes,
    } as const;
    const bytes: Record<string, number> = {};
    for (const [name, of] of Object.entries(kinds)) {
      const usage = await Promise.all(sample.map((r) => redis.memory('USAGE', of(r), 'SAMPLES', 0)));
      bytes[name] = Math.round(usage.reduce<number>((a, b) => a + Number(b ?? 0), 0) / sample.length);
    }
    const keyed = Object.values(bytes).reduce((a, b) => a + b, 0);
    emit('per_subject_keys', {
      sample: sample.length,
      ...bytes,
      shared_indexes_and_overhead: Math.round(perSubject - keyed),
    });
  } finally {
    redis.disconnect();
    await redisSvc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
