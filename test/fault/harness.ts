import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { createServices, type Services } from '../../infra/compose.js';
import { startRedisCluster } from '../../infra/embedded/redis-cluster.js';
import { connectRedis } from '../../infra/redis/connect.js';
import { freePort } from '../../infra/embedded/process.js';
import { PrivateRedis } from '../helpers/private-redis.js';
import { startSmtpSink, type SmtpSink } from '../../infra/smtp/sink.js';
import { connectClient } from '../../infra/temporal/connection.js';
import { installRuntime } from '../../infra/temporal/runtime.js';
import type { AppConfig } from '../../infra/config.js';
import { testConfig } from '../helpers/config.js';
import { policy } from '../../policy/index.js';
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
