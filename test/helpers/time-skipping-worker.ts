import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { createServices } from '../../infra/compose.js';
import { startSmtpSink, type SmtpSink } from '../../infra/smtp/sink.js';
import { createMailer } from '../../infra/smtp/transport.js';
import { dataConverter } from '../../infra/temporal/connection.js';
import { installRuntime } from '../../infra/temporal/runtime.js';
import { policy } from '../../policy/index.js';
import { buildActivityDeps, workflowsPath } from '../../worker.js';
import { testConfig } from './config.js';
import { exampleContent } from './example-workspace.js';
import { startedForFile } from './file-hooks.js';
import { testRedis, uniqueId } from './services.js';
import { startTimeSkipping } from './time-skipping.js';

/** A file's time-skipping test server with real Redis, its services and a mailer, started before its tests. */
export interface TimeSkippingWorld {
  readonly redis: ReturnType<typeof testRedis>['redis'];
  readonly config: ReturnType<typeof testConfig>;
  readonly services: ReturnType<typeof createServices>;
  readonly env: TestWorkflowEnvironment;
  /** The SMTP sink mail goes to; only with `mail: 'sink'`. */
  readonly sink: SmtpSink;
  /** A worker on a fresh task queue with the worker's own activity deps. */
  worker(): Promise<{ worker: Worker; taskQueue: string }>;
}

/**
 * Registers the file's before/after hooks: a private key prefix on the test Redis, the services under the shipped
 * policy, the time-skipping server and a mailer that delivers to a real SMTP sink (`sink`) or reaches no server at
 * all (`unreachable`), for tests whose mail must not be delivered.
 */
export function timeSkippingWorld(mail: 'sink' | 'unreachable'): TimeSkippingWorld {
  installRuntime();
  const { redis, prefix } = testRedis();
  const config = testConfig({ REDIS_KEY_PREFIX: prefix });
  const services = createServices(config, redis, policy);
  const get = startedForFile(
    'the time-skipping server',
    async () => {
      const path = process.env.CF_TEST_TIME_SKIPPING_SERVER;
      if (!path) throw new Error('CF_TEST_TIME_SKIPPING_SERVER is not set: run through `npm test`');
      const server = await startTimeSkipping(path, dataConverter(config));
      const sink =
        mail === 'sink' ? await startSmtpSink({ outbox: join(config.dataDir, uniqueId('ts-outbox')) }) : undefined;
      return { server, sink, mailer: createMailer(config, sink?.url ?? 'smtp://127.0.0.1:1') };
    },
    async ({ server, sink, mailer }) => {
      mailer.close();
      await sink?.stop();
      await server.stop();
    },
  );
  return {
    redis,
    config,
    services,
    get env() {
      return get().server.env;
    },
    get sink() {
      const { sink } = get();
      if (!sink) throw new Error("this file's mail reaches no server: start the world with mail 'sink'");
      return sink;
    },
    async worker() {
      const { server, mailer } = get();
      const taskQueue = uniqueId('tq');
      const deps = buildActivityDeps(config, {
        redis,
        mailer,
        client: server.env.client,
        taskQueue,
        content: await exampleContent(),
      });
      const worker = await Worker.create({
        connection: server.env.nativeConnection,
        taskQueue,
        workflowsPath,
        activities: createActivities(deps),
        dataConverter: dataConverter(config),
      });
      return { worker, taskQueue };
    },
  };
}
