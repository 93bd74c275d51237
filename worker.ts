import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';
import { dataConverter } from './infra/temporal/connection.js';
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
