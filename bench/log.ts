// Decision-log benchmark: append throughput (single and batched) against a raw pipelined XADD of the same
// payloads in the same run, verify speed, and Redis memory per entry. Prints one JSON line per figure.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { LogEntryInput } from '../domain/decision-log.js';
import { canonicalEntry } from '../domain/decision-log-canonical.js';
import type { SubjectRef } from '../domain/ids.js';
import { startRedis } from '../infra/embedded/redis.js';
import { DecisionLog } from '../infra/redis/decision-log.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
};

const report = (figure: Record<string, unknown>) => console.log(JSON.stringify(figure));
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

// A campaign run logs thousands of entries under one run id; the append script keeps live counters per run (and
// 10-second bucket), so a random run id per entry would make every entry a counter hash of its own.
const RUNS = Array.from({ length: 4 }, () => randomBytes(8).toString('hex'));

function inputs(n: number): LogEntryInput[] {
  return Array.from({ length: n }, (_, i) => ({
    subjectRef: `sr_${randomBytes(16).toString('base64url').slice(0, 22)}` as SubjectRef,
    kind: 'decision',
    outcome: i % 4 ? 'allow' : 'deny',
    reasons: i % 4 ? [] : ['consent_withdrawn'],
    campaignId: 'spring-sale',
    campaignVersion: 'cv-8d3f2a',
    workflowId: `journey-${i}`,
    runId: RUNS[i % RUNS.length],
    stepId: 'send-1',
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    processor: 'smtp-relay',
    consentEventId: `ce-${i}`,
    noticeVersion: '3',
    policyVersion: 'pv-1f2e3d',
    fieldsRequested: ['email', 'firstName'],
    fieldsReleased: i % 4 ? ['email', 'firstName'] : [],
    fieldsWithheld: i % 4 ? [] : ['email', 'firstName'],
    templateId: 'newsletter',
    templateHash: 'th-9a8b7c',
  }));
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

// CPU seconds Redis has used so far (user + system), for per-entry costs that hold up on a loaded machine.
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
}

/** Runs `f`, returning its wall time (ms) and this process's and Redis's CPU per entry (µs) for `n` entries. */
async function costed(redis: Redis, n: number, f: () => Promise<unknown>) {
  const [cpu0, r0] = [process.cpuUsage(), await redisCpu(redis)];
  const ms = await timed(f);
  const cpu = process.cpuUsage(cpu0);
  const r1 = await redisCpu(redis);
  return {
    ms,
    nodeCpuUsPerEntry: +((cpu.user + cpu.system) / n).toFixed(1),
    redisCpuUsPerEntry: +(((r1 - r0) * 1e6) / n).toFixed(1),
  };
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Runs the decision-log benchmark; `--entries N` sizes the verify run (default 1,000,000). */
export async function main(): Promise<void> {
  const entries = arg('entries', 1_000_000);
  const appendN = Math.min(entries, arg('append', 100_000));
  const singleN = Math.min(appendN, arg('single', 5_000));
  const dir = mkdtempSync(join(tmpdir(), 'cf-bench-log-'));
  const service = await startRedis({ dataDir: join(dir, 'redis'), externalUrl: process.env.REDIS_URL });
  const redis = new Redis(service.url);
  const prefix = `bench:${Date.now()}:`;
  const log = new DecisionLog({
    redis,
    keyPrefix: prefix,
    logKey: randomBytes(32),
    partitions: 16,
    dataDir: dir,
    timeoutMs: 30_000,
  });
  try {
    const fsync = ((await redis.config('GET', 'appendfsync')) as string[])[1];
    report({ bench: 'log', redis: service.source, appendfsync: fsync, entries, appendN, singleN });
    // Baseline: the same canonical payloads, XADDed raw (no chain, no HMAC, no CAS), pipelined in the same chunks.
    const payload = inputs(appendN).map((x, i) =>
      canonicalEntry({
        ...LogEntryInput.parse(x),
        id: '01J00000000000000000000000',
        at: new Date().toISOString(),
        seq: i + 1,
        partition: 0,
        prevHash: '0'.repeat(64),
      }),
    );
    const rawSingle = await timed(async () => {
      for (let i = 0; i < singleN; i++) await redis.xadd(`${prefix}raw1`, '*', 'e', payload[i]!, 'h', '0'.repeat(64));
    });
    const single = inputs(singleN);
    const logSingle = await timed(async () => {
      for (const x of single) await log.append(x);
    });
    report({
      figure: 'append_single',
      entriesPerSec: rate(singleN, logSingle),
      rawXaddPerSec: rate(singleN, rawSingle),
      ratioToRaw: +(rawSingle / logSingle).toFixed(2),
    });
    const chunk = 2_000;
    const raw = await costed(redis, appendN, async () => {
      for (let i = 0; i < appendN; i += chunk) {
        const p = redis.pipeline();
        for (const e of payload.slice(i, i + chunk)) p.xadd(`${prefix}raw`, '*', 'e', e, 'h', '0'.repeat(64));
        await p.exec();
      }
    });
    const rawBatch = raw.ms;
    const batch = inputs(appendN);
    const logged = await costed(redis, appendN, async () => {
      for (let i = 0; i < appendN; i += chunk) await log.appendBatch(batch.slice(i, i + chunk));
    });
    const logBatch = logged.ms;
    report({
      figure: 'append_batched',
      chunk,
      entriesPerSec: rate(appendN, logBatch),
      rawPipelinedXaddPerSec: rate(appendN, rawBatch),
      ratioToRaw: +(rawBatch / logBatch).toFixed(2),
      goal: 50_000,
    });
    // CPU per entry, beside the raw XADD's: steadier than rates when other work shares the cores and the disk.
    report({
      figure: 'append_batched_cpu',
      nodeCpuUsPerEntry: logged.nodeCpuUsPerEntry,
      rawNodeCpuUsPerEntry: raw.nodeCpuUsPerEntry,
      redisCpuUsPerEntry: logged.redisCpuUsPerEntry,
      rawRedisCpuUsPerEntry: raw.redisCpuUsPerEntry,
    });
    // Broadcast workers append from several activities at once; four callers in flight overlap hashing and fsync.
    const callers = 4;
    const conc = inputs(appendN);
    const logConc = await timed(() =>
      Promise.all(
        Array.from({ length: callers }, async (_, c) => {
          for (let i = c * chunk; i < appendN; i += callers * chunk) await log.appendBatch(conc.slice(i, i + chunk));
        }),
      ),
    );
    report({
      figure: 'append_batched_concurrent',
      callers,
      chunk,
      entriesPerSec: rate(appendN, logConc),
      ratioToRaw: +(rawBatch / logConc).toFixed(2),
      goal: 50_000,
    });
    await redis.del(`${prefix}raw`, `${prefix}raw1`);
    // Fill up to `entries`, measuring Redis memory per stored entry on the way: over at least 20,000 more entries,
    // so a short run (where the appends above already passed `entries`) still measures it.
    const before = await usedMemory(redis);
    const have = singleN + 2 * appendN;
    const fill = Math.max(entries - have, 20_000);
    for (let i = 0; i < fill; i += chunk) await log.appendBatch(inputs(Math.min(chunk, fill - i)));
    report({
      figure: 'memory',
      bytesPerEntry: Math.round(((await usedMemory(redis)) - before) / fill),
      measuredOver: fill,
    });
    let r: Awaited<ReturnType<DecisionLog['verify']>> | undefined;
    const verifyMs = await timed(async () => (r = await log.verify()));
    report({
      figure: 'verify',
      entries: r?.entries,
      ok: r?.ok,
      seconds: +(verifyMs / 1000).toFixed(2),
      entriesPerSec: rate(r?.entries ?? 0, verifyMs),
      goalSeconds: 10,
      goalEntries: 1_000_000,
    });
    // The same log handed over to a new key, with a chunk after the switch: verify checks two keys and 16 handovers.
    const rotated = new DecisionLog({
      redis,
      keyPrefix: prefix,
      logKey: randomBytes(32),
      logKeyId: 'bench-new',
      previousLogKeys: [log.opts.logRing.current],
      partitions: 16,
      dataDir: dir,
      timeoutMs: 30_000,
    });
    await rotated.handOver('bench');
    await rotated.appendBatch(inputs(chunk));
    let r2: Awaited<ReturnType<DecisionLog['verify']>> | undefined;
    const rotatedMs = await timed(async () => (r2 = await rotated.verify()));
    report({
      figure: 'verify_after_rotation',
      entries: r2?.entries,
      ok: r2?.ok,
      seconds: +(rotatedMs / 1000).toFixed(2),
      entriesPerSec: rate(r2?.entries ?? 0, rotatedMs),
      ratioToVerify: +(rate(r2?.entries ?? 0, rotatedMs) / rate(r?.entries ?? 1, verifyMs)).toFixed(2),
    });
  } finally {
    await redis.flushdb().catch(() => undefined);
    redis.disconnect();
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
