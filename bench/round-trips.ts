// Round-trip benchmark: counts the Redis commands and socket writes (round trips, with auto-pipelining) of a journey
// send step and of a broadcast chunk, on the real send path against the embedded Redis and an SMTP sink. Prints
// JSON lines; counts, not times, so it is not a timed test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { createRunActivities } from '../activities/campaign-run.js';
import { journeySend } from '../activities/journey-send.js';
import { runGuardedSends, type SendSpec } from '../activities/send-pipeline.js';
import type { SubjectRef } from '../domain/ids.js';
import { createServices } from '../infra/compose.js';
import { buildConfig, parseEnv } from '../infra/config.js';
import { startRedis } from '../infra/embedded/redis.js';
import { startSmtpSink } from '../infra/smtp/sink.js';
import { createMailer } from '../infra/smtp/transport.js';
import { policy } from '../policy/index.js';
import { consentEvent } from '../test/helpers/engine.js';
import { exampleContent } from '../test/helpers/example-workspace.js';
import { buildActivityDeps } from '../worker.js';

const emit = (metric: string, fields: Record<string, unknown>) =>
  console.log(JSON.stringify({ bench: 'round-trips', metric, ...fields }));
const round = (n: number, d = 2) => Number(n.toFixed(d));

/**
 * Counts commands sent and socket writes made on one auto-pipelined connection (one write per pipeline flush), and
 * commands by name (a Lua script by the name it was defined under).
 */
function countCalls(redis: Redis) {
  const c = { commands: 0, writes: 0 };
  const byName = new Map<string, number>();
  const scripts = (redis as unknown as { scriptsSet: Record<string, { sha: string }> }).scriptsSet;
  const nameOf = (cmd: { name: string; args: unknown[] }) =>
    cmd.name === 'evalsha' || cmd.name === 'eval'
      ? (Object.entries(scripts).find(([, s]) => s.sha === cmd.args[0])?.[0] ?? cmd.name)
      : cmd.name;
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...a: Parameters<Redis['sendCommand']>) => {
    c.commands += 1;
    const name = nameOf(a[0] as unknown as { name: string; args: unknown[] });
    byName.set(name, (byName.get(name) ?? 0) + 1);
    return send(...a);
  }) as Redis['sendCommand'];
  const stream = (redis as unknown as { stream: { write: (...a: unknown[]) => boolean } }).stream;
  const write = stream.write.bind(stream);
  stream.write = (...a: unknown[]) => ((c.writes += 1), write(...a));
  return { take: () => ({ ...c, byName: new Map(byName) }) };
}

/** Commands by name per unit between two takes, largest first. */
function perUnit(a: Map<string, number>, b: Map<string, number>, units: number): Record<string, number> {
  return Object.fromEntries(
    [...b]
      .map(([k, v]) => [k, round((v - (a.get(k) ?? 0)) / units, 3)] as const)
      .filter(([, v]) => v > 0)
      .sort((x, y) => y[1] - x[1]),
  );
}

/** `npm run bench -- round-trips [--journeys 200] [--chunk 500] [--chunks 4]`. */
export async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: {
      journeys: { type: 'string', default: '200' },
      chunk: { type: 'string', default: '500' },
      chunks: { type: 'string', default: '4' },
    },
  });
  const [journeys, chunk, chunks] = [Number(values.journeys), Number(values.chunk), Number(values.chunks)];
  const dir = mkdtempSync(join(tmpdir(), 'cf-bench-rt-'));
  const redisSvc = await startRedis({ dataDir: join(dir, 'redis') });
  const sink = await startSmtpSink({ outbox: join(dir, 'outbox'), writeFiles: false });
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
    SMTP_URL: sink.url,
  };
  const config = buildConfig(parseEnv(env));
  // Connected like the worker's client.
  const redis = new Redis(redisSvc.url, { enableAutoPipelining: true });
  const mailer = createMailer(config, sink.url, { maxConnections: 10 });
  try {
    const services = createServices(config, redis, policy);
    const deps = buildActivityDeps(config, {
      redis,
      mailer,
      client: {} as Client,
      taskQueue: 'bench',
      content: await exampleContent(),
    });
    const total = journeys + chunk * chunks;
    const refs: SubjectRef[] = [];
    for (let i = 0; i < total; i += 500) {
      const rows = Array.from({ length: Math.min(500, total - i) }, (_, j) => ({
        subjectId: `rt-${i + j}`,
        fields: {
          email: `rt-${i + j}@example.org`,
          first_name: `N${i + j}`,
          loyalty_tier: 'gold',
          preferred_store: 'Mitte',
        },
      }));
      for (const w of await services.subjects.upsertMany(rows)) {
        if (w.status !== 'written') throw new Error('seeding refused a subject');
        await services.consent.append(consentEvent(w.ref, { purpose: 'marketing.email.promotions' }));
        refs.push(w.ref);
      }
    }
    const spec = (workflowId: string): SendSpec => ({
      campaignId: 'rt',
      campaignVersion: 'v',
      workflowId,
      runId: workflowId,
      stepId: 'send',
      purpose: 'marketing.email.promotions',
      channel: 'email',
      processor: 'smtp-relay',
      templateId: 'promo-winter-sale',
    });
    // Warm up: scripts load, and each log partition's head is read, once per process, not per step. The journeys'
    // subjects spread over every partition (16 by default), so the steps below are measured in the steady state.
    await runGuardedSends(deps, spec('warm'), refs.slice(0, journeys));
    const counter = countCalls(redis);

    const j0 = counter.take();
    let sent = 0;
    for (const ref of refs.slice(1, journeys)) {
      const o = await journeySend(deps, spec(`journey-${ref}`), ref);
      if (o.status === 'sent') sent += 1;
    }
    const j1 = counter.take();
    const steps = journeys - 1;
    emit('journey_send_step', {
      steps,
      sent,
      commands_per_step: round((j1.commands - j0.commands) / steps),
      round_trips_per_step: round((j1.writes - j0.writes) / steps),
      goal_round_trips: 4,
      commands: perUnit(j0.byName, j1.byName, steps),
    });

    // The same step under a frequency cap: the window is read with the guard state and the slot taken by the
    // reservation, so the cap should cost no round trip of its own.
    const capped = { max: 10, perMs: 86_400_000 };
    let cappedSent = 0;
    for (const ref of refs.slice(1, journeys)) {
      const o = await journeySend(deps, { ...spec(`capped-${ref}`), frequencyCap: capped }, ref);
      if (o.status === 'sent') cappedSent += 1;
    }
    const j2 = counter.take();
    emit('capped_journey_send_step', {
      steps,
      sent: cappedSent,
      commands_per_step: round((j2.commands - j1.commands) / steps),
      round_trips_per_step: round((j2.writes - j1.writes) / steps),
      uncapped_round_trips_per_step: round((j1.writes - j0.writes) / steps),
    });

    // A broadcast run's chunks, through the same activity a broadcast workflow calls.
    const runId = 'rt-broadcast';
    const audience = refs.slice(journeys);
    await services.runs.register({
      runId,
      campaignId: 'rt',
      kind: 'broadcast',
      workflowId: runId,
      startedAt: new Date().toISOString(),
      segment: 'loyal-members',
      sendSteps: ['send'],
      status: 'snapshotting',
    });
    await services.runs.addMembers(runId, audience);
    await services.runs.seal(runId);
    const run = createRunActivities(deps);
    const b0 = counter.take();
    const cpu0 = process.cpuUsage();
    let after = '';
    let members = 0;
    for (let k = 0; k < chunks; k++) {
      const r = await run.sendBroadcastChunk({
        spec: { ...spec(runId), runId },
        segmentId: 'loyal-members',
        holdoutPercent: 0,
        after,
        count: chunk,
        deferral: { baseMs: 60_000, maxAttempts: 6 },
      });
      members += Object.values(r.counts).reduce((a, b) => a + b, 0);
      if (r.cursor === null) break;
      after = r.cursor;
    }
    const b1 = counter.take();
    const cpu = process.cpuUsage(cpu0);
    // CPU of this process per member: the send path plus the in-process SMTP sink's side of each conversation.
    const cpuMs = (cpu.user + cpu.system) / 1000 / members;
    emit('broadcast_chunk', {
      chunk,
      members,
      commands_per_subject: round((b1.commands - b0.commands) / members),
      round_trips_per_chunk: round((b1.writes - b0.writes) / chunks, 1),
      round_trips_per_subject: round((b1.writes - b0.writes) / members, 3),
      goal_round_trips_per_subject: 3,
      cpu_ms_per_subject_with_sink: round(cpuMs, 3),
      commands: perUnit(b0.byName, b1.byName, members),
    });
  } finally {
    mailer.close();
    redis.disconnect();
    await sink.stop();
    await redisSvc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
