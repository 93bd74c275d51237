import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';
import { connectWorker, dataConverter } from './infra/temporal/connection.js';
import { createMailer } from './infra/smtp/transport.js';
import type { AppConfig } from './infra/config.js';

/** Path of the workflow bundle entry, resolved next to this file. */
export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

/** Composition root of a worker: config + infra → createActivities(deps) → Worker.create. */
export async function createWorker(opts: {
  config: AppConfig;
  connection: NativeConnection;
  deps: ActivityDeps;
  taskQueue?: string;
  namespace?: string;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? opts.config.namespace,
    taskQueue: opts.taskQueue ?? opts.config.taskQueue,
    workflowsPath,
    activities: createActivities(opts.deps),
    dataConverter: dataConverter(opts.config),
    maxConcurrentActivityTaskExecutions: 200,
  });
}

/** Where a worker finds its services. */
export interface WorkerEndpoints {
  readonly redisUrl: string;
  readonly temporalAddress: string;
  readonly smtpUrl: string;
}

/** A started worker and how to stop it and everything it opened. */
export interface RunningWorker {
  readonly worker: Worker;
  readonly done: Promise<void>;
  shutdown(): Promise<void>;
}

/** Opens the infra clients, builds the activity deps and starts polling; `shutdown()` drains and closes all of it. */
export async function startWorker(config: AppConfig, endpoints: WorkerEndpoints, opts: { taskQueue?: string } = {}): Promise<RunningWorker> {
  const redis = new Redis(endpoints.redisUrl, { maxRetriesPerRequest: 3, commandTimeout: 5000 });
  const mailer = createMailer(config, endpoints.smtpUrl, { maxConnections: 10 });
  const connection = await connectWorker(endpoints.temporalAddress);
  const worker = await createWorker({ config, connection, deps: { redis, keyPrefix: config.redisKeyPrefix, mailer }, taskQueue: opts.taskQueue });
  const done = worker.run().finally(async () => {
    mailer.close();
    await connection.close();
    await redis.quit().catch(() => redis.disconnect());
  });
  return {
    worker,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
