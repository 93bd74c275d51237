import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import type { LogEntry } from '../../domain/decision-log.js';
import type { ProcessorNotifier } from '../../domain/propagation.js';
import type { AppConfig } from '../../infra/config.js';
import { createServices, type Services } from '../../infra/compose.js';
import { freePort } from '../../infra/embedded/process.js';
import { startSmtpSink, type SmtpSink } from '../../infra/smtp/sink.js';
import { connectClient } from '../../infra/temporal/connection.js';
import { operationsWatchId } from '../../infra/temporal/operations-watch-start.js';
import { installRuntime } from '../../infra/temporal/runtime.js';
import { policy } from '../../policy/index.js';
import { startWorker, type RunningWorker } from '../../worker.js';
import { startAlertReceiver } from './alert-receiver.js';
import { testConfig } from './config.js';
import { exampleContent } from './example-workspace.js';
import { PrivateRedis } from './private-redis.js';
import { testTemporal, uniqueId } from './services.js';

/** A real worker whose alerts reach a real HTTP receiver and the SMTP sink, on a Redis of the file's own. */
export interface AlertWorker {
  readonly config: AppConfig;
  readonly taskQueue: string;
  readonly receiver: Awaited<ReturnType<typeof startAlertReceiver>>;
  /** Set in `before`. */
  readonly client: Client;
  readonly sink: SmtpSink;
  /** A plain connection to the private Redis (tests may reconfigure it, e.g. to refuse writes). */
  readonly admin: Redis;
  readonly services: Services;
  /** The `alert_raised` entries of one alert kind in the decision log. */
  alertEntries(kind: string): Promise<LogEntry[]>;
}

/**
 * Starts the receiver now (its URL is the worker's webhook) and the rest before the file's tests; stops all after,
 * the operations watch included. A private Redis, so a test that makes it refuse writes touches no one else's.
 */
export async function useAlertWorker(
  opts: { failFirst?: number; notifier?: ProcessorNotifier; now?: () => Date } = {},
): Promise<AlertWorker> {
  installRuntime();
  const receiver = await startAlertReceiver({ failFirst: opts.failFirst ?? 0 });
  const redisServer = new PrivateRedis(await freePort());
  const tq = testTemporal();
  const config = testConfig({ REDIS_KEY_PREFIX: 'alerts:', CONSENTFLOW_ALERT_WEBHOOK_URL: receiver.url });
  const w = { config, taskQueue: tq.taskQueue, receiver } as AlertWorker & {
    client: Client;
    sink: SmtpSink;
    admin: Redis;
    services: Services;
  };
  let worker: RunningWorker;
  before(async () => {
    await redisServer.start();
    w.sink = await startSmtpSink({ outbox: join(config.dataDir, uniqueId('outbox')) });
    worker = await startWorker(
      config,
      { redisUrl: redisServer.url, temporalAddress: tq.address, smtpUrl: w.sink.url },
      { content: await exampleContent(), taskQueue: tq.taskQueue, notifier: opts.notifier, now: opts.now },
    );
    w.client = await connectClient(config, tq.address);
    w.admin = new Redis(redisServer.url);
    w.services = createServices(config, w.admin, policy);
  });
  after(async () => {
    await w.client.workflow
      .getHandle(operationsWatchId(tq.taskQueue))
      .terminate('test over')
      .catch(() => undefined);
    await worker.shutdown();
    await w.client.connection.close();
    w.admin.disconnect();
    await w.sink.stop();
    await receiver.stop();
    await redisServer.stop();
  });
  w.alertEntries = async (kind) => {
    const out: LogEntry[] = [];
    for await (const e of w.services.log.query({ kind: 'operator' }))
      if (e.stepId === 'alert_raised' && e.reasons.includes(kind)) out.push(e);
    return out;
  };
  return w;
}
