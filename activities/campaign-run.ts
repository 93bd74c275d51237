import { ApplicationFailure, Context } from '@temporalio/activity';
import { holdout } from '../domain/campaign.js';
import type { SubjectRef } from '../domain/ids.js';
import type { Segment } from '../domain/segment.js';
import { RUN_SUMMARY_SUBJECT_REF, runSummaryResult, type RunReconciliation } from '../domain/run.js';
import { reconcileRun } from '../infra/redis/run-reconcile.js';
import type { RunStore } from '../infra/redis/run-store.js';
import { matchSegmentFields, SegmentFieldNotAllowedError, withoutLiveConsent } from './segment-page.js';
import {
  capReadOf,
  loadSendStates,
  runGuardedSends,
  type Exclusion,
  type SendPipelineDeps,
  type SendSpec,
  type SendState,
} from './send-pipeline.js';
import { withContent, type ContentSource } from './content.js';
import type { DeferralPolicy, SendOutcome } from './send-outcome.js';
import { ChunkPlanInput, parseInput } from './inputs.js';
import type { z } from 'zod';
import type { CapRead } from '../infra/redis/guard-state-load.js';

/** What run activities need beyond the send path. */
export interface RunActivityDeps extends SendPipelineDeps {
  readonly pageSubjects: (
    cursor: string,
    count: number,
  ) => Promise<{ readonly cursor: string; readonly refs: readonly SubjectRef[] }>;
  readonly segments: Readonly<Record<string, Segment>>;
  readonly runs: RunStore;
  /** Identifies the Redis process: a restart changes it, and a scan cursor from before means nothing after. */
  readonly redisRunId: () => Promise<string>;
  /** Deployed bundles and the current policy; absent, the worker's own workspace serves every run. */
  readonly content?: ContentSource;
}

/** Counts of one batch, for the workflow's progress query only; the accounting itself is the ledger's. */
export type BatchCounts = Record<string, number>;

export function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // outside an activity (unit use)
  }
}

const count = (outcomes: readonly SendOutcome[]): BatchCounts => {
  const c: BatchCounts = {};
  for (const o of outcomes) c[o.status] = (c[o.status] ?? 0) + 1;
  return c;
};

/** Resolves a segment; an unknown one or one reading fields its purpose does not allow is a permanent failure. */
export function segmentOf(deps: RunActivityDeps, id: string): Segment {
  const segment = deps.segments[id];
  if (!segment)
    throw ApplicationFailure.create({
      type: 'SegmentUnknownFailure',
      nonRetryable: true,
      message: `segment ${id} does not exist`,
    });
  return segment;
}

const asFailure = (e: unknown): unknown =>
  e instanceof SegmentFieldNotAllowedError
    ? ApplicationFailure.create({ type: 'FieldNotAllowedFailure', nonRetryable: true, message: e.message })
    : e;

/** Members of a page settled before the guard: held out, or dropped by the segment's consent pre-filter. */
export async function exclusionsOf(
  deps: RunActivityDeps,
  segment: Segment | undefined,
  campaignId: string,
  holdoutPercent: number,
  refs: readonly SubjectRef[],
): Promise<Map<SubjectRef, Exclusion>> {
  return (await screenPage(deps, segment, campaignId, holdoutPercent, refs)).excluded;
}

/**
 * The exclusions of a page and what the consent pre-filter loaded on the way (guard states and, given the step's
 * scope, send records), which the guard then decides on: loaded once, not twice. The reservation's epoch check
 * still catches any change since.
 */
async function screenPage(
  deps: RunActivityDeps,
  segment: Segment | undefined,
  campaignId: string,
  holdoutPercent: number,
  refs: readonly SubjectRef[],
  scope?: string,
  cap?: CapRead,
) {
  const excluded = new Map<SubjectRef, Exclusion>();
  const loaded = new Map<SubjectRef, SendState>();
  for (const r of refs)
    if (holdout(r, campaignId, holdoutPercent)) excluded.set(r, { outcome: 'held_out', reasons: ['holdout'] });
  const keep = async (rs: readonly SubjectRef[]) => {
    if (scope === undefined) return deps.loadGuardStates(rs);
    const got = await loadSendStates(deps, scope, rs, new Map(), undefined, cap);
    return rs.map((r) => (loaded.set(r, got.get(r)!), got.get(r)!.state!));
  };
  const noConsent = segment
    ? await withoutLiveConsent(
        { loadGuardStates: keep },
        segment,
        refs.filter((r) => !excluded.has(r)),
      )
    : new Set<SubjectRef>();
  for (const r of noConsent) excluded.set(r, { outcome: 'not_eligible', reasons: ['no_live_consent'] });
  return { excluded, loaded };
}

/** Campaign-run activities: a fixed audience, guarded pages, deferred members, reconciliation and the summary. */
export function createRunActivities(deps: RunActivityDeps) {
  const clock = deps.now ?? (() => new Date());
  async function sendPage(
    spec: SendSpec,
    segmentId: string | undefined,
    holdoutPercent: number,
    refs: readonly SubjectRef[],
    deferral: DeferralPolicy,
  ): Promise<SendOutcome[]> {
    const bundled = await withContent(deps, spec.bundle);
    const segment = segmentId === undefined ? undefined : segmentOf(bundled, segmentId);
    const scope = `${spec.workflowId}:${spec.stepId}`;
    // A capped step's window is read with the states the guard will decide on, as in the send path itself.
    const { excluded, loaded } = await screenPage(
      bundled,
      segment,
      spec.campaignId,
      holdoutPercent,
      refs,
      scope,
      capReadOf(bundled, spec, scope, clock().getTime()),
    );
    const outcomes = await runGuardedSends(bundled, spec, refs, {
      excluded,
      loaded,
      deferral,
      dueOnly: true,
      heartbeat: () => heartbeat(),
    });
    const waiting = outcomes.filter((o) => o.status === 'deferred' || o.status === 'busy');
    const now = clock().getTime();
    await bundled.runs.defer(
      spec.runId,
      waiting.map((o) => ({ ref: o.subjectRef, dueAt: o.nextAttemptAt ?? now + 5_000 })),
    );
    await bundled.runs.undefer(
      spec.runId,
      outcomes.filter((o) => o.status !== 'deferred' && o.status !== 'busy').map((o) => o.subjectRef),
    );
    return outcomes;
  }

  return {
    /**
     * Fixes the run's audience: every indexed subject whose profile matches the segment, stored in a run-scoped
     * ordered set. The scan restarts if Redis restarted meanwhile (its scan cursor would mean nothing after).
     */
    async snapshotAudience(input: {
      runId: string;
      segmentId: string;
      purpose: string;
      bundle?: string;
    }): Promise<{ size: number; digest: string }> {
      const bundled = await withContent(deps, input.bundle);
      const run = await bundled.runs.get(input.runId);
      if (!run)
        throw ApplicationFailure.create({
          type: 'RunUnknownFailure',
          nonRetryable: true,
          message: `run ${input.runId} is not recorded`,
        });
      if (run.status !== 'snapshotting') return { size: run.audienceSize ?? 0, digest: run.audienceDigest ?? '' };
      const segment = segmentOf(bundled, input.segmentId);
      const nowMs = clock().getTime();
      for (;;) {
        const redisRun = await bundled.redisRunId();
        let cursor = '0';
        do {
          const page = await bundled.pageSubjects(cursor, 1_000);
          try {
            await bundled.runs.addMembers(
              input.runId,
              await matchSegmentFields(bundled, bundled.policy(), segment, input.purpose, page.refs, nowMs),
            );
          } catch (e) {
            throw asFailure(e);
          }
          cursor = page.cursor;
          heartbeat();
        } while (cursor !== '0');
        if ((await bundled.redisRunId()) === redisRun) break;
      }
      const sealed = await bundled.runs.seal(input.runId);
      return { size: sealed.audienceSize ?? 0, digest: sealed.audienceDigest ?? '' };
    },

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
      const outcomes = await sendPage(input.spec, input.segmentId, input.holdoutPercent, refs, input.deferral);
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

    /** Finds every member with no terminal outcome yet and schedules it for another attempt. */
    async sweepRun(input: { runId: string }): Promise<{ pending: number }> {
      const run = await deps.runs.get(input.runId);
      if (!run) return { pending: 0 };
      const now = clock().getTime();
      const due: Array<{ ref: string; dueAt: number }> = [];
      const r = await reconcileRun(deps.runs, deps.ledger, run, (ref, s, rec) => {
        if (s === 'pending')
          due.push({ ref, dueAt: rec?.runId === run.runId && rec.nextAttemptAt ? rec.nextAttemptAt : now });
      });
      for (let i = 0; i < due.length; i += 1_000) await deps.runs.defer(input.runId, due.slice(i, i + 1_000));
      return { pending: r.pending };
    },

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
        await sendPage(input.spec, input.segmentId, input.holdoutPercent, refs, input.deferral);
        heartbeat();
        if (refs.length < 250) break;
      }
      const w = await deps.runs.waiting(input.spec.runId);
      return { remaining: w.count, nextDueAt: w.nextDueAt };
    },

    /** Closes a run: reconciles it from the ledger and appends one summary entry (counts and audience digest). */
    async finishRun(input: {
      runId: string;
      campaignId: string;
      campaignVersion: string;
      workflowId: string;
      temporalRunId: string;
      cancelled?: boolean;
      closeSpec?: SendSpec;
    }): Promise<RunReconciliation> {
      const run = await deps.runs.get(input.runId);
      if (!run)
        throw ApplicationFailure.create({
          type: 'RunUnknownFailure',
          nonRetryable: true,
          message: `run ${input.runId} is not recorded`,
        });
      if (input.cancelled && input.closeSpec && run.status !== 'finished') {
        // A cancelled run still accounts for everyone: members it never reached are logged as not eligible.
        const left: SubjectRef[] = [];
        await reconcileRun(deps.runs, deps.ledger, run, (ref, s) => void (s === 'pending' && left.push(ref)));
        const cancelled: Exclusion = { outcome: 'not_eligible', reasons: ['run_cancelled'] };
        for (let i = 0; i < left.length; i += 250) {
          const refs = left.slice(i, i + 250);
          await runGuardedSends(deps, input.closeSpec, refs, { excluded: new Map(refs.map((r) => [r, cancelled])) });
          heartbeat();
        }
      }
      const finished =
        run.status === 'finished'
          ? run
          : await deps.runs.update(input.runId, { status: 'finished', finishedAt: clock().toISOString() });
      const r = await reconcileRun(deps.runs, deps.ledger, finished);
      if (!finished.summaryEntryId) {
        const [entry] = await deps.appendLog(
          [
            {
              subjectRef: RUN_SUMMARY_SUBJECT_REF,
              kind: 'run',
              outcome: 'summary',
              campaignId: input.campaignId,
              campaignVersion: input.campaignVersion,
              workflowId: input.workflowId,
              runId: input.runId,
              stepId: 'summary',
              result: runSummaryResult(r),
              reasons: r.unaccounted > 0 ? ['unaccounted_subjects'] : [],
            },
          ],
          { idempotencyKeys: [`${input.runId}|summary`] },
        );
        await deps.runs.update(input.runId, { summaryEntryId: entry!.id });
      }
      return r;
    },
  };
}
