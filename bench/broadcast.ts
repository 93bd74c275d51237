// Broadcast benchmark: a 100,000-subject guarded broadcast on the embedded services, against raw nodemailer sends
// to the same out-of-process SMTP sink in the same run. Prints JSON lines; not a timed test.
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { defineCampaign } from '../domain/campaign.js';
import { createServices } from '../infra/compose.js';
import { buildConfig, parseEnv } from '../infra/config.js';
import { startRedis } from '../infra/embedded/redis.js';
import { startTemporal } from '../infra/embedded/temporal.js';
import { startCampaign } from '../infra/temporal/campaign-runs.js';
import { policy } from '../policy/index.js';
import { mapWindowed } from '../domain/concurrency.js';
import { connectClient } from '../infra/temporal/connection.js';
import { installRuntime } from '../infra/temporal/runtime.js';
import { consentEvent } from '../test/helpers/engine.js';
import {
  buildPackage,
  builtWorker,
  cpuSeconds,
  peakRssMb,
  productMailer,
  rawNodemailer,
  redisCpuSeconds,
  sinkProcess,
  stopWorker,
  workerReady,
} from './broadcast-processes.js';
import { reportRatios, round, type GuardedRun } from './broadcast-ratio.js';
import { chunkIdle } from './chunk-idle.js';
import { newestProcessProfiles, profilePerMessage } from './cpu-profile.js';
import { runPhases } from './run-phases.js';

const root = join(import.meta.dirname, '..');
const emit = (metric: string, fields: Record<string, unknown>) =>
  console.log(JSON.stringify({ bench: 'broadcast', metric, ...fields }));

/** A fresh DKIM key for the sender's domain, as the environment names it. */
function benchDkim(): Record<string, string> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    DKIM_DOMAIN: parseEnv(process.env).CONSENTFLOW_SENDER_EMAIL.split('@')[1]!,
    DKIM_SELECTOR: 'bench',
    DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * `npm run bench -- broadcast [--subjects 100000] [--raw 20000] [--enrol 3000] [--in-flight 4] [--workers 1]
 * [--rounds 1] [--dkim]`: `--in-flight 1,4` runs one broadcast of the whole audience per value (chunks in
 * flight), one after the other in the same run; `--workers 2` runs two worker processes on the task queue (CPU
 * summed, RSS the largest); `--rounds 3` runs them all three times. Each broadcast's ratio is to the mean of the raw
 * baselines measured just before and just after it, so one baseline caught in a burst of the machine's other load
 * weighs half; with rounds, the median ratio per value is printed last. `--dkim` signs every message on both sides
 * (outside dev the worker refuses to start without a DKIM key).
 */
export async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: {
      subjects: { type: 'string', default: '100000' },
      raw: { type: 'string', default: '20000' },
      enrol: { type: 'string', default: '3000' },
      'in-flight': { type: 'string', default: '4' },
      workers: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '1' },
      dkim: { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
    console.error(`--rounds ${values.rounds}: give the rounds as a whole number 1-20, e.g. 3`);
    process.exit(2);
  }
  const n = Number(values.subjects);
  const inFlight = values['in-flight'].split(',').map(Number);
  if (inFlight.some((k) => !Number.isInteger(k) || k < 1 || k > 32)) {
    console.error(`--in-flight ${values['in-flight']}: give chunks in flight as whole numbers 1-32, e.g. 1,4`);
    process.exit(2);
  }
  const workerCount = Number(values.workers);
  if (!Number.isInteger(workerCount) || workerCount < 1 || workerCount > 8) {
    console.error(`--workers ${values.workers}: give the number of worker processes as a whole number 1-8`);
    process.exit(2);
  }
  if (workerCount > 1 && process.env.BENCH_CPU_PROF) {
    console.error('BENCH_CPU_PROF profiles one worker: run it with --workers 1');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'cf-bench-broadcast-'));
  installRuntime();
  const redisSvc = await startRedis({ dataDir: join(dir, 'redis') });
  const temporal = await startTemporal({ namespace: 'default' });
  const sink = await sinkProcess();
  const key = (b: number) => Buffer.alloc(32, b).toString('base64');
  const secrets = {
    CONSENTFLOW_MASTER_KEY: key(1),
    CONSENTFLOW_PSEUDONYM_KEY: key(2),
    CONSENTFLOW_LOG_KEY: key(3),
    CONSENTFLOW_TOKEN_KEY: key(4),
    CONSENTFLOW_CODEC_KEY: key(5),
  };
  const env = {
    ...process.env,
    ...secrets,
    CONSENTFLOW_ENV: 'dev',
    CONSENTFLOW_DATA_DIR: dir,
    REDIS_URL: redisSvc.url,
    TEMPORAL_ADDRESS: temporal.address,
    SMTP_URL: sink.url,
    TEMPORAL_TASK_QUEUE: 'bench',
    // --dkim: every message RSA-2048 signed, by the worker and by the baseline, as a production sender must.
    ...(values.dkim ? benchDkim() : {}),
  };
  emit('setup', { subjects: n, raw: Number(values.raw), dkim: values.dkim });
  const config = buildConfig(parseEnv(env));
  const redis = new Redis(redisSvc.url);
  const services = createServices(config, redis, policy);
  const workers: ChildProcess[] = [];
  try {
    const rawCpu0 = process.cpuUsage();
    const rawSink0 = cpuSeconds(sink.pid);
    const rawPerS = await rawNodemailer(config, sink.url, Number(values.raw));
    const rawCpu = process.cpuUsage(rawCpu0);
    const rawSinkMs = ((cpuSeconds(sink.pid) - rawSink0) * 1000) / Number(values.raw);
    // The baseline's own CPU per message (compose, MIME streams, SMTP client), beside the worker's per guarded send.
    emit('raw_nodemailer', {
      messages: Number(values.raw),
      per_s: round(rawPerS),
      cpu_ms_per_message: round((rawCpu.user + rawCpu.system) / 1000 / Number(values.raw), 3),
      sink_cpu_ms_per_message: round(rawSinkMs, 3),
    });
    // For reference, not the ratio's baseline: the product's own composer and transport with no guard and no log.
    const mailerCpu0 = process.cpuUsage();
    const mailerPerS = await productMailer(config, sink.url, Number(values.raw));
    const mailerCpu = process.cpuUsage(mailerCpu0);
    emit('product_mailer_unguarded', {
      messages: Number(values.raw),
      per_s: round(mailerPerS),
      cpu_ms_per_message: round((mailerCpu.user + mailerCpu.system) / 1000 / Number(values.raw), 3),
    });

    const t0 = performance.now();
    for (let i = 0; i < n; i += 1000) {
      const rows = Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
        subjectId: `b-${i + j}`,
        fields: {
          email: `b-${i + j}@example.org`,
          first_name: `N${i + j}`,
          loyalty_tier: 'gold',
          preferred_store: 'Mitte',
        },
      }));
      const written = await services.subjects.upsertMany(rows);
      await Promise.all(
        written.map((w) =>
          w.status === 'written'
            ? services.consent.append(consentEvent(w.ref, { purpose: 'marketing.email.promotions' }))
            : undefined,
        ),
      );
    }
    emit('seed', { subjects: n, seconds: round((performance.now() - t0) / 1000) });

    // Started as an installed `consentflow worker` runs (the built package, the launcher's flags); BENCH_CPU_PROF
    // profiles it.
    buildPackage();
    const startedAt = performance.now();
    for (let w = 0; w < workerCount; w++) workers.push(builtWorker(env, process.env.BENCH_CPU_PROF));
    // The clock and the workers' CPU count from when they poll: start-up (loading, bundling workflows) is no part
    // of a broadcast, and on a small audience it would weigh as much as the sends.
    await Promise.all(workers.map(workerReady));
    const readyMs = performance.now() - startedAt;
    const workersCpu = () => workers.reduce((a, w) => a + cpuSeconds(w.pid!), 0);
    const client = await connectClient(config, temporal.address);
    const promo = defineCampaign({
      id: 'bench-promo',
      name: 'Bench',
      description: 'benchmark broadcast',
      purpose: 'marketing.email.promotions',
      audience: { segment: 'loyal-members' },
      steps: [{ id: 'send', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' }],
      options: { kind: 'broadcast' },
    });
    let sentAll = 0;
    const guardedBroadcast = async (k: number, id: string): Promise<number> => {
      const before = await sink.count();
      const cpuBefore = workersCpu();
      const sinkBefore = cpuSeconds(sink.pid);
      const redisBefore = await redisCpuSeconds(redis);
      const t1 = performance.now();
      await startCampaign(
        client,
        { ...promo, id },
        { segment: 'loyal-members' },
        { taskQueue: 'bench', campaignVersion: 'bench', pageSize: 500, chunksInFlight: k, runs: services.runs },
      );
      await client.workflow.getHandle(`campaign:${id}`).result();
      const seconds = (performance.now() - t1) / 1000;
      const sent = (await sink.count()) - before;
      const perS = sent / seconds;
      sentAll += sent;
      const cpuMs = ((workersCpu() - cpuBefore) * 1000) / Math.max(1, sent);
      // Where the rest of the machine's CPU went: the SMTP sink's side of each conversation, and Redis.
      const sinkMs = ((cpuSeconds(sink.pid) - sinkBefore) * 1000) / Math.max(1, sent);
      const redisMs = (((await redisCpuSeconds(redis)) - redisBefore) * 1000) / Math.max(1, sent);
      emit('guarded_broadcast', {
        chunks_in_flight: k,
        workers: workerCount,
        subjects: n,
        sent,
        seconds: round(seconds),
        per_s: round(perS),
        worker_peak_rss_mb: round(Math.max(...workers.map((w) => peakRssMb(w.pid!)))),
        worker_cpu_ms_per_message: round(cpuMs, 3),
        sink_cpu_ms_per_message: round(sinkMs, 3),
        redis_cpu_ms_per_message: round(redisMs, 3),
      });
      emit('chunk_idle', {
        chunks_in_flight: k,
        ...(await chunkIdle(client, `campaign:${id}`)),
        goal_idle_below: 0.25,
      });
      emit('phases', { chunks_in_flight: k, ...(await runPhases(client, `campaign:${id}`)) });
      return perS;
    };
    // Each broadcast with the raw baseline measured just before it (the first one before the workers started).
    const runs: GuardedRun[] = [];
    let rawBefore = rawPerS;
    for (let r = 0; r < rounds; r++)
      for (const k of inFlight) {
        if (runs.length > 0) {
          rawBefore = await rawNodemailer(config, sink.url, Number(values.raw));
          emit('raw_nodemailer_between', { per_s: round(rawBefore) });
        }
        const id = `bench-promo${inFlight.length > 1 ? `-${k}` : ''}${rounds > 1 ? `-r${r + 1}` : ''}`;
        const perS = await guardedBroadcast(k, id);
        runs.push({ k, perS, rawBefore });
      }
    if (process.env.BENCH_CPU_PROF) {
      // The profile is written when the worker exits: stop it now so it covers the broadcast alone.
      await Promise.all(workers.map(stopWorker));
      const files = newestProcessProfiles(process.env.BENCH_CPU_PROF);
      if (files.length) emit('worker_profile', profilePerMessage(files, root, readyMs, sentAll));
    }

    const raw = await rawNodemailer(config, sink.url, Number(values.raw));
    emit('raw_nodemailer_after', { per_s: round(raw) });
    reportRatios(emit, runs, raw, { rounds, inFlight, workers: workerCount });

    // A profiled run stopped its worker after the broadcast: no enrolment figures.
    if (process.env.BENCH_CPU_PROF) return void (await client.connection.close());
    const refs = Array.from({ length: Number(values.enrol) }, (_, i) => services.pseudonymize(`b-${i}`));
    const t2 = performance.now();
    const r = await startCampaign(
      client,
      {
        ...promo,
        id: 'bench-journey',
        options: { ...promo.options, kind: 'journey' },
        steps: [{ id: 'later', type: 'wait', duration: '1d' }, ...promo.steps],
      },
      { subjectRefs: refs },
      { taskQueue: 'bench', campaignVersion: 'bench', runs: services.runs },
    );
    const es = (performance.now() - t2) / 1000;
    emit('journey_enrolment', {
      journeys: r.kind === 'journeys' ? r.started : 0,
      seconds: round(es),
      per_s: round(refs.length / es),
    });
    // The baseline: starting as many workflows that do nothing, 32 at a time like the enrolment, on a queue no worker
    // polls (a start is complete once the server accepts it).
    const t3 = performance.now();
    await mapWindowed(refs, 32, (_, i) =>
      client.workflow.start('noop', { taskQueue: 'bench-noop', workflowId: `noop-${i}`, args: [] }),
    );
    const ns = (performance.now() - t3) / 1000;
    emit('noop_workflow_start', { workflows: refs.length, per_s: round(refs.length / ns) });
    emit('enrolment_ratio', { enrolment_over_noop: round(ns / es, 3), goal: 0.8 });
    await client.connection.close();
  } finally {
    await Promise.all(workers.map(stopWorker));
    sink.stop();
    redis.disconnect();
    await temporal.stop();
    await redisSvc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
