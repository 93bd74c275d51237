import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { OperationsWatchInput } from '../../workflows/operations-watch.js';

/** The watch's workflow id: one per task queue. */
export const operationsWatchId = (taskQueue: string): string => `operations-watch:${taskQueue}`;

/** Starts the deployment's operations watch unless it runs already; `started` or `exists`. */
export async function ensureOperationsWatch(
  client: Client,
  taskQueue: string,
  opts: { tickMs: number; outageMs?: number; deadlinesEveryMs?: number },
): Promise<'started' | 'exists'> {
  const input: OperationsWatchInput = { v: 1, ...opts };
  try {
    await client.workflow.start('operationsWatch', {
      taskQueue,
      workflowId: operationsWatchId(taskQueue),
      args: [input],
    });
    return 'started';
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) return 'exists';
    throw e;
  }
}
