import { ChunkPlanInput, parseInput } from './inputs.js';
import type { z } from 'zod';
import type { SendSpec } from './send-pipeline.js';
import type { DeferralPolicy } from './send-outcome.js';
import { snapshotAudience, type SnapshotInput } from './audience-snapshot.js';
import { finishRun, sweepRun, type FinishInput, type SweepFinish } from './run-close.js';
import { count, heartbeat, sendRunPage, type BatchCounts, type RunActivityDeps } from './run-page.js';

export {
  cancellation,
  exclusionsOf,
  heartbeat,
  segmentOf,
  type BatchCounts,
  type RunActivityDeps,
} from './run-page.js';

/** Campaign-run activities: a fixed audience, guarded pages, deferred members, reconciliation and the summary. */
export function createRunActivities(deps: RunActivityDeps) {
  const clock = deps.now ?? (() => new Date());
  return {
    /**
     * Fixes the run's audience: every indexed subject whose profile matches the segment, stored in a run-scoped
     * ordered set. The scan restarts if Redis restarted meanwhile (its scan cursor would mean nothing after).
     */
    snapshotAudience: (input: SnapshotInput): Promise<{ size: number; digest: string }> =>
      snapshotAudience(deps, input),

    /** One page of a broadcast run: the next members in audience order, guarded, logged and sent. */
    async sendBroadcastChunk(input: {
      spec: SendSpec;
      segmentId: string;
      holdoutPercent: number;
      after: string;
      count: number;
      deferral: DeferralPolicy;
    }): Promise<{ cursor: string | null; counts: BatchCounts }> {
      const refs = await deps.runs.page(input.spec.runId, input.after, input.count);
      const outcomes = await sendRunPage(deps, input.spec, input.segmentId, input.holdoutPercent, refs, input.deferral);
      return { cursor: refs.length === input.count ? refs.at(-1)! : null, counts: count(outcomes) };
    },

    /**
     * Where the next pages of a broadcast run start, found by offset in the fixed audience, so the workflow can
     * run several chunks at once and plan the next ones while these deliver.
     */
    async planBroadcastChunks(
      input: z.input<typeof ChunkPlanInput>,
    ): Promise<{ starts: string[]; next: string | null }> {
      const { runId, after, count, chunks } = parseInput(ChunkPlanInput, input, 'planBroadcastChunks');
      return deps.runs.chunkStarts(runId, after, count, chunks);
    },

    /** Finds every member with no terminal outcome yet and schedules it for another attempt, or closes the run. */
    sweepRun: (input: { runId: string; finish?: SweepFinish }) => sweepRun(deps, input),

    /** Attempts the members whose next attempt is due; returns how many still wait and when the next is due. */
    async retryDeferred(input: {
      spec: SendSpec;
      segmentId: string;
      holdoutPercent: number;
      deferral: DeferralPolicy;
    }): Promise<{ remaining: number; nextDueAt: number | null }> {
      const now = clock().getTime();
      for (;;) {
        const refs = await deps.runs.due(input.spec.runId, now, 250);
        if (refs.length === 0) break;
        await sendRunPage(deps, input.spec, input.segmentId, input.holdoutPercent, refs, input.deferral);
        heartbeat();
        if (refs.length < 250) break;
      }
      const w = await deps.runs.waiting(input.spec.runId);
      return { remaining: w.count, nextDueAt: w.nextDueAt };
    },

    /** Closes a run: reconciles it from the ledger and appends one summary entry (counts and audience digest). */
    finishRun: (input: FinishInput) => finishRun(deps, input),
  };
}
