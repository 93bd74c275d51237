import { condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

const { planBroadcastChunks } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 60 },
});

/** How the overlapped paging of one run proceeds; the caller owns progress, pause and continue-as-new. */
export interface ChunkLoop {
  readonly runId: string;
  /** The bound after the members already handled ('' for the start). */
  readonly after: string;
  readonly pageSize: number;
  /** At most this many chunk activities at once. */
  readonly inFlight: number;
  /** Sends the page of `pageSize` members after `start`, and counts it into the progress. */
  readonly send: (start: string) => Promise<void>;
  /** Waits out a pause; true when the run was cancelled. */
  readonly gate: () => Promise<boolean>;
  /** Whether to stop starting chunks and hand the position to a fresh execution. */
  readonly handOver: () => boolean;
}

/** Why the loop stopped: every page sent, a cancel, or a hand-over at `after` (every page before it handled). */
export type ChunkLoopEnd =
  { readonly status: 'done' } | { readonly status: 'cancelled' | 'handover'; readonly after: string };

/**
 * Sends a run's pages with up to `inFlight` chunks at once, planning the next window of page starts while the
 * current chunks deliver, so no chunk waits for the one before it. Stops only with nothing in flight: a hand-over
 * or a cancel then names a bound that every earlier member is behind.
 */
export async function sendChunks(loop: ChunkLoop): Promise<ChunkLoopEnd> {
  const window = loop.inFlight * 2;
  const plan = (after: string) =>
    planBroadcastChunks({ runId: loop.runId, after, count: loop.pageSize, chunks: window });
  const first = await plan(loop.after);
  const queue = [...first.starts];
  let next = first.next;
  let ahead: ReturnType<typeof plan> | undefined;
  let running = 0;
  let failure: { error: unknown } | undefined;
  const drain = async () => {
    await condition(() => running === 0);
    if (failure) throw failure.error;
  };
  for (;;) {
    // Scan ahead while the chunks already planned still fill the window.
    if (!ahead && next !== null && queue.length <= loop.inFlight) ahead = plan(next);
    if (queue.length === 0) {
      if (!ahead) break;
      const p = await ahead;
      ahead = undefined;
      queue.push(...p.starts);
      next = p.next;
      continue;
    }
    await condition(() => running < loop.inFlight || failure !== undefined);
    if (failure) break;
    if (loop.handOver()) {
      await drain();
      await ahead;
      return { status: 'handover', after: queue[0]! };
    }
    if (await loop.gate()) {
      await drain();
      return { status: 'cancelled', after: queue[0]! };
    }
    const start = queue.shift()!;
    running += 1;
    void loop
      .send(start)
      .catch((error: unknown) => void (failure ??= { error }))
      .finally(() => void (running -= 1));
  }
  await drain();
  return { status: 'done' };
}
