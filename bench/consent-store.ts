// Consent-store benchmark: loads N subjects (profile + consent events) into a real Redis, then measures the guard's
// state load (single and 500-per-round-trip bulk) against raw GET/HGETALL baselines measured in the same run.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { monotonicFactory, ulid } from 'ulid';
import type { ConsentEvent } from '../domain/consent.js';
import type { SubjectRef } from '../domain/ids.js';
import { createEnvelope } from '../infra/crypto/envelope.js';
import { startRedis } from '../infra/embedded/redis.js';
import { ConsentStore } from '../infra/redis/consent-store.js';
import { redisKeys } from '../infra/redis/keys.js';
import { SubjectStore } from '../infra/redis/subject-store.js';

const emit = (metric: string, fields: Record<string, unknown>) =>
  console.log(JSON.stringify({ bench: 'consent-store', metric, ...fields }));
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (n: number, d = 3) => Number(n.toFixed(d));

function stats(samplesMs: number[]) {
  const s = [...samplesMs].sort((a, b) => a - b);
  return { p50_ms: round(pct(s, 50)), p99_ms: round(pct(s, 99)), n: s.length };
}

async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

// ulid() draws fresh randomness per character; the monotonic factory does so once per millisecond.
const eventId = monotonicFactory();

function event(ref: SubjectRef, i: number, over: Partial<ConsentEvent> = {}): ConsentEvent {
  return {
    id: eventId(),
    type: 'granted',
    subjectRef: ref,
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    legalBasis: 'consent',
    noticeVersion: 3,
    noticeHash: '1bf8385471c40d311d2f4dbba0df37ac7806463b4afbf8be84c447adbc77251a',
    language: 'en',
    collectionPoint: `signup-form-${i % 7}`,
    method: 'form',
    occurredAt: new Date().toISOString(),
    source: 'bench',
    jurisdiction: 'DE',
    ...over,
  };
}

/** Runs the benchmark; `--subjects N` (default 1,000,000), `--samples N` single loads, `--batches N` bulk loads. */
export async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: {
      subjects: { type: 'string', default: '1000000' },
      samples: { type: 'string', default: '20000' },
      batches: { type: 'string', default: '400' },
      batch: { type: 'string', default: '500' },
    },
  });
  const N = Number(values.subjects);
  const samples = Number(values.samples);
  const batches = Number(values.batches);
  const batch = Number(values.batch);
  const dataDir = mkdtempSync(join(tmpdir(), 'cf-bench-redis-'));
  const server = await startRedis({ dataDir, externalUrl: process.env.REDIS_URL });
  const redis = new Redis(server.url, { maxRetriesPerRequest: 3 });
  const keys = redisKeys(`bench${ulid().toLowerCase()}:`);
  const subjects = new SubjectStore({
    redis,
    keys,
    envelope: createEnvelope({ current: randomBytes(32) }),
    pseudonymKey: randomBytes(32),
  });
  const consent = new ConsentStore({ redis, keys, loadTimeoutMs: 5000, bulkBatch: batch });
  emit('setup', {
    subjects: N,
    redis: server.source,
    appendfsync: server.source === 'external' ? 'as configured' : 'always',
  });
  try {
    const refs: SubjectRef[] = new Array<SubjectRef>(N);
    const t0 = performance.now();
    let events = 0;
    // Up to 4 batches of 1000 in flight, each writing profiles and consent concurrently: the fsync per round trip
    // (appendfsync always) is shared by whatever arrives together, so overlap is what makes the import fast.
    const importBatch = async (start: number) => {
      const rows = [];
      for (let i = start; i < Math.min(N, start + 1000); i++)
        rows.push({
          subjectId: `bench-${i}`,
          fields: { email: `user${i}@example.com`, first_name: `Name${i}`, locale: 'en', city: 'Berlin' },
        });
      const writes: Promise<unknown>[] = [subjects.upsertMany(rows)];
      rows.forEach((row, j) => {
        const i = start + j;
        const ref = (refs[i] = subjects.refOf(row.subjectId));
        writes.push(consent.append(event(ref, i)));
        if (i % 3 === 0)
          writes.push(consent.append(event(ref, i, { purpose: 'marketing.sms.promotions', channel: 'sms' })));
        if (i % 10 === 0) writes.push(consent.append(event(ref, i, { type: 'withdrawn' })));
        if (i % 50 === 0) writes.push(consent.suppress(ref, 'hard_bounce', 'bench', { channel: 'email' }));
      });
      events += writes.length - 1;
      await Promise.all(writes);
    };
    const inFlight = new Set<Promise<void>>();
    for (let start = 0; start < N; start += 1000) {
      const p: Promise<void> = importBatch(start).then(() => void inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= 4) await Promise.race(inFlight);
      if (start % 100_000 === 0 && start > 0)
        emit('import_progress', { subjects: start, elapsed_s: round((performance.now() - t0) / 1000, 1) });
    }
    await Promise.all(inFlight);
    const importS = (performance.now() - t0) / 1000;
    emit('import', {
      subjects: N,
      consent_writes: events,
      seconds: round(importS, 1),
      subjects_per_s: Math.round(N / importS),
      writes_per_s: Math.round((N * 3 + events) / importS),
    });

    const pick = () => refs[Math.floor(Math.random() * N)]!;
    // Warm up scripts and connections so the first EVALSHA miss is not measured.
    await consent.loadGuardState(pick());
    await consent.loadGuardStates([pick()]);

    const single = stats(await timeEach(samples, () => consent.loadGuardState(pick())));
    const get = stats(await timeEach(samples, () => redis.get(keys.dataKey(pick()))));
    const hgetall = stats(await timeEach(samples, () => redis.hgetall(keys.consentState(pick()))));
    emit('single_load', {
      guard_state: single,
      baseline_get: get,
      baseline_hgetall: hgetall,
      ratio_p50_vs_get: round(single.p50_ms / get.p50_ms, 2),
      ratio_p50_vs_hgetall: round(single.p50_ms / hgetall.p50_ms, 2),
      ratio_p99_vs_hgetall: round(single.p99_ms / hgetall.p99_ms, 2),
    });

    const chunk = () => Array.from({ length: batch }, pick);
    let t = performance.now();
    const bulkSamples = await timeEach(batches, async () => {
      const states = await consent.loadGuardStates(chunk());
      if (states.some((s) => s.loadError)) throw new Error('bulk load failed');
    });
    const bulkS = (performance.now() - t) / 1000;
    t = performance.now();
    const baseSamples = await timeEach(batches, async () => {
      const p = redis.pipeline();
      for (const r of chunk()) p.hgetall(keys.consentState(r));
      await p.exec();
    });
    const baseS = (performance.now() - t) / 1000;
    const bulk = { ...stats(bulkSamples), subjects_per_s: Math.round((batches * batch) / bulkS) };
    const base = { ...stats(baseSamples), subjects_per_s: Math.round((batches * batch) / baseS) };
    emit('bulk_load', {
      batch,
      guard_states: bulk,
      baseline_pipelined_hgetall: base,
      ratio_throughput: round(bulk.subjects_per_s / base.subjects_per_s, 2),
      ratio_p50: round(bulk.p50_ms / base.p50_ms, 2),
      ratio_p99: round(bulk.p99_ms / base.p99_ms, 2),
    });
    const info = await redis.info('memory');
    emit('redis_memory', { used_memory_human: /used_memory_human:(\S+)/.exec(info)?.[1] });
  } finally {
    redis.disconnect();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
