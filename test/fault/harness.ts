import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { stableMessageId } from '../../activities/message.js';
import { defineCampaign, type Campaign } from '../../domain/campaign.js';
import type { LogEntry } from '../../domain/decision-log.js';
import type { SubjectRef } from '../../domain/ids.js';
import type { RunReconciliation } from '../../domain/run.js';
import { createServices, type Services } from '../../infra/compose.js';
import { startRedisCluster } from '../../infra/embedded/redis-cluster.js';
import { connectRedis } from '../../infra/redis/connect.js';
import { freePort } from '../../infra/embedded/process.js';
import { PrivateRedis } from '../helpers/private-redis.js';
import { reconcileRun } from '../../infra/redis/run-reconcile.js';
import { startSmtpSink, type SmtpSink } from '../../infra/smtp/sink.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import { MonitorThresholds } from '../../domain/monitor-thresholds.js';
import { connectClient } from '../../infra/temporal/connection.js';
import { installRuntime } from '../../infra/temporal/runtime.js';
import type { AppConfig } from '../../infra/config.js';
import { testConfig } from '../helpers/config.js';
import { policy } from '../../policy/index.js';
import { consentEvent } from '../helpers/engine.js';
import { testTemporal, uniqueId } from '../helpers/services.js';

const root = join(import.meta.dirname, '..', '..');

const alive = (p: ChildProcess): boolean => p.exitCode === null && p.signalCode === null;

/** Everything one fault scenario runs on: private Redis, an SMTP sink, a worker process it may kill, a client. */
export interface Scenario {
  readonly config: AppConfig;
  /** The single server the scenario may kill, or undefined on a cluster. */
  readonly redis: PrivateRedis | undefined;
  readonly redisUrl: string;
  readonly client: Redis;
  readonly services: Services;
  readonly sink: SmtpSink;
  readonly temporal: Client;
  readonly taskQueue: string;
  worker: ChildProcess;
  /** Every line the worker processes wrote to stderr. */
  readonly workerLog: string[];
  startWorker(): ChildProcess;
  killWorker(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a scenario's services and one worker process: on a private server, or on a 3-master Redis Cluster. */
export async function scenario(
  name: string,
  opts: { cluster?: boolean; env?: Record<string, string> } = {},
): Promise<Scenario> {
  installRuntime();
  const redis = opts.cluster ? undefined : new PrivateRedis(await freePort());
  await redis?.start();
  const cluster = opts.cluster
    ? await startRedisCluster({ dataDir: mkdtempSync(join(tmpdir(), 'cf-cluster-')), masters: 3 })
    : undefined;
  const redisUrl = redis?.url ?? cluster!.url;
  const tq = testTemporal();
  const prefix = `${name}:`;
  const config = testConfig({
    REDIS_KEY_PREFIX: prefix,
    CONSENTFLOW_PUBLIC_URL: 'https://prefs.shop.example',
    REDIS_URL: redisUrl,
    ...opts.env,
  });
  const client = connectRedis(redisUrl, { maxRetriesPerRequest: null }, config.redisCluster);
  client.on('error', () => {});
  const sink = await startSmtpSink({ outbox: join(config.dataDir, uniqueId('outbox')), writeFiles: false });
  const { secrets } = config;
  const env = {
    ...process.env,
    // A local worker against the embedded sink: http links and no DKIM key are expected here.
    CONSENTFLOW_ENV: 'dev',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    TEMPORAL_ADDRESS: tq.address,
    TEMPORAL_TASK_QUEUE: tq.taskQueue,
    SMTP_URL: sink.url,
    CONSENTFLOW_PUBLIC_URL: config.publicUrl,
    CONSENTFLOW_DATA_DIR: config.dataDir,
    CONSENTFLOW_MASTER_KEY: secrets.masterKey.toString('base64'),
    CONSENTFLOW_PSEUDONYM_KEY: secrets.pseudonymKey.toString('base64'),
    CONSENTFLOW_LOG_KEY: secrets.logKey.toString('base64'),
    CONSENTFLOW_TOKEN_KEY: secrets.tokenKey.toString('base64'),
    CONSENTFLOW_CODEC_KEY: secrets.codecKey.toString('base64'),
    CONSENTFLOW_CODEC_KEY_ID: secrets.codecKeyId,
  };
  const workers: ChildProcess[] = [];
  const s: Scenario = {
    config,
    redis,
    redisUrl,
    client,
    services: createServices(config, client, policy),
    sink,
    temporal: await connectClient(config, tq.address),
    taskQueue: tq.taskQueue,
    worker: undefined as unknown as ChildProcess,
    workerLog: [],
    startWorker() {
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'cli.ts'), 'worker'], {
        cwd: root,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', (d: Buffer) => {
        s.workerLog.push(
          ...d
            .toString()
            .split('\n')
            .filter((l) => l.trim() !== ''),
        );
        if (process.env.CF_FAULT_VERBOSE) process.stderr.write(d);
      });
      s.worker = child;
      workers.push(child);
      return child;
    },
    async killWorker() {
      const w = s.worker;
      if (!alive(w)) return;
      const exited = new Promise((r) => w.once('exit', r));
      w.kill('SIGKILL');
      await exited;
    },
    async close() {
      await Promise.all(
        workers.filter(alive).map((w) => {
          const exited = new Promise((r) => w.once('exit', r));
          w.kill('SIGTERM');
          return exited;
        }),
      );
      await s.temporal.connection.close();
      client.disconnect();
      await sink.stop();
      await redis?.stop();
      await cluster?.stop();
    },
  };
  s.startWorker();
  return s;
}

/** A one-step broadcast on the loyal-members segment. */
export const promo = (id = uniqueId('fault')): Campaign =>
  defineCampaign({
    id,
    name: 'Fault promo',
    description: 'fault test broadcast',
    purpose: 'marketing.email.promotions',
    audience: { segment: 'loyal-members' },
    steps: [
      { id: 'send-promo', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
    ],
    options: { kind: 'broadcast', holdoutPercent: 5 },
  });

/** `n` consenting gold members (every 10th one silver, so outside the segment). */
export async function seedMembers(
  s: Scenario,
  tag: string,
  n: number,
): Promise<Array<{ ref: SubjectRef; address: string; subjectId: string; inSegment: boolean }>> {
  const rows = Array.from({ length: n }, (_, i) => ({
    subjectId: `${tag}-${i}`,
    fields: {
      email: `${tag}-${i}@example.org`,
      first_name: `N${i}`,
      loyalty_tier: i % 10 === 9 ? 'silver' : 'gold',
      preferred_store: 'Mitte',
    },
  }));
  const out: Array<{ ref: SubjectRef; address: string; subjectId: string; inSegment: boolean }> = [];
  for (let i = 0; i < rows.length; i += 500) {
    const written = await s.services.subjects.upsertMany(rows.slice(i, i + 500));
    await Promise.all(
      written.map((w) =>
        w.status === 'written'
          ? s.services.consent.append(consentEvent(w.ref, { purpose: 'marketing.email.promotions' }))
          : undefined,
      ),
    );
    written.forEach((w, j) =>
      out.push({
        ref: w.ref,
        subjectId: rows[i + j]!.subjectId,
        address: rows[i + j]!.fields.email,
        inSegment: rows[i + j]!.fields.loyalty_tier === 'gold',
      }),
    );
  }
  return out;
}

/** Starts the broadcast and returns its run id. */
export async function start(
  s: Scenario,
  c: Campaign,
  opts: { pageSize?: number; chunksInFlight?: number; deferral?: { baseMs: number; maxAttempts: number } } = {},
): Promise<string> {
  // The withdrawal storm denies much of its audience by design: the monitor must not pause the run it measures.
  const monitor = { defaults: MonitorThresholds.parse({ maxRates: { deny: 1 } }) };
  const r = await startCampaign(
    s.temporal,
    c,
    { segment: 'loyal-members' },
    {
      taskQueue: s.taskQueue,
      campaignVersion: 'fault',
      runs: s.services.runs,
      pageSize: opts.pageSize ?? 250,
      chunksInFlight: opts.chunksInFlight,
      deferral: opts.deferral,
      monitor,
    },
  );
  return r.runId;
}

/** Polls until `fn` holds. */
export async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 180_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What the accounting checks found, for the closing figures. */
export interface Audit {
  readonly reconciliation: RunReconciliation;
  readonly emails: number;
  readonly duplicates: number;
  readonly redecisions: number;
}

/**
 * The checks every fault scenario must pass: reconcile finds no member unaccounted, each address got one
 * Message-ID (a repeat is a counted duplicate with the same id), every accepted message has a logged allow
 * decision and a logged delivery, no member has two first decisions, and the chains verify.
 */
export async function audit(
  s: Scenario,
  campaignId: string,
  runId: string,
  members: ReadonlyArray<{ ref: SubjectRef; address: string }>,
  otherScopes: readonly string[] = [],
): Promise<Audit> {
  const run = (await s.services.runs.get(runId))!;
  const reconciliation = await reconcileRun(s.services.runs, s.services.ledger, run);
  assert.equal(run.status, 'finished');
  assert.deepEqual(
    [reconciliation.unaccounted, reconciliation.pending],
    [0, 0],
    `reconcile: ${JSON.stringify(reconciliation)}`,
  );
  const total = Object.values(reconciliation.outcomes).reduce((a, n) => a + n, 0);
  assert.equal(total, reconciliation.audienceSize, 'audience = sum of outcomes');

  const entries: LogEntry[] = [];
  for await (const e of s.services.log.query({ campaignId })) entries.push(e);
  const mine = entries.filter((e) => e.runId === runId);
  const byId = new Map(mine.map((e) => [e.id, e]));
  const deliveredIds = new Map(
    mine.filter((e) => e.kind === 'delivery' && e.outcome === 'sent').map((e) => [e.messageId ?? '', e]),
  );
  // Messages of other runs (named by their ledger scopes, from which Message-IDs derive) are left out.
  const theirs = new Set(
    otherScopes.flatMap((sc) => members.map((m) => stableMessageId(sc, m.ref, s.config.sender.email))),
  );
  const addresses = new Set(members.map((m) => m.address));
  const ids = new Map<string, Set<string | undefined>>();
  let emails = 0;
  for (const m of s.sink.received) {
    if (theirs.has(m.messageId ?? '')) continue;
    for (const a of m.envelopeTo) {
      if (!addresses.has(a)) continue;
      emails++;
      (ids.get(a) ?? ids.set(a, new Set()).get(a)!).add(m.messageId);
      const d = deliveredIds.get(m.messageId ?? '-');
      assert.ok(d, `the message ${m.messageId} to a member has a logged delivery`);
      assert.equal(byId.get(d.decisionId!)?.outcome, 'allow', 'and that delivery a logged allow decision');
    }
  }
  for (const [a, set] of ids) assert.equal(set.size, 1, `${a} got one Message-ID`);
  assert.equal(ids.size, reconciliation.outcomes.sent ?? 0, 'every sent outcome is an address that got mail');
  const firsts = new Map<string, number>();
  for (const e of mine)
    if (e.kind === 'decision' && e.result === null) firsts.set(e.subjectRef, (firsts.get(e.subjectRef) ?? 0) + 1);
  for (const [ref, n] of firsts) assert.equal(n, 1, `${ref} has one first decision in the run`);
  const verify = await s.services.log.verify();
  assert.equal(verify.ok, true, `log verify: ${JSON.stringify(verify.breaks)}`);
  return {
    reconciliation,
    emails,
    duplicates: emails - ids.size,
    redecisions: mine.filter((e) => e.kind === 'decision' && e.result !== null).length,
  };
}
