import { ApplicationFailure, Context } from '@temporalio/activity';
import { holdout } from '../domain/campaign.js';
import type { SubjectRef } from '../domain/ids.js';
import type { Segment } from '../domain/segment.js';
import type { RunStore } from '../infra/redis/run-store.js';
import { SegmentFieldNotAllowedError, withoutLiveConsent, type SegmentPorts } from './segment-page.js';
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
import type { CapRead } from '../infra/redis/guard-state-load.js';

/** What run activities need beyond the send path. */
export interface RunActivityDeps extends SendPipelineDeps {
  readonly pageSubjects: (
    cursor: string,
    count: number,
  ) => Promise<{ readonly cursor: string; readonly refs: readonly SubjectRef[] }>;
  /** A page of minimal profile reads in one round trip, for the audience snapshot. */
  readonly readFieldsMany?: SegmentPorts['readFieldsMany'];
  readonly segments: Readonly<Record<string, Segment>>;
  readonly runs: RunStore;
  /** Identifies the Redis process: a restart changes it, and a scan cursor from before means nothing after. */
  readonly redisRunId: () => Promise<string>;
  /** Deployed bundles and the current policy; absent, the worker's own workspace serves every run. */
  readonly content?: ContentSource;
}

/** Counts of one batch, for the workflow's progress query only; the accounting itself is the ledger's. */
export type BatchCounts = Record<string, number>;

/**
 * How often a detail-less heartbeat reaches the SDK. Each one goes through its streams, the payload codec and the
 * core bridge, and a page heartbeats per send: unthrottled that cost about as much CPU as a send's Redis calls.
 * The server's heartbeat timeout (15 s) is far above this, so a timed-out attempt still learns it soon.
 */
export const HEARTBEAT_EVERY_MS = 1_000;
const lastBeat = new WeakMap<Context, number>();

/** Heartbeats the current activity (progress-free ones at most every HEARTBEAT_EVERY_MS); a no-op outside one. */
export function heartbeat(details?: unknown, now: () => number = () => performance.now()): void {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return; // outside an activity (unit use)
  }
  const at = now();
  const last = lastBeat.get(ctx);
  if (details === undefined && last !== undefined && at - last < HEARTBEAT_EVERY_MS) return;
  lastBeat.set(ctx, at);
  ctx.heartbeat(details);
}

/** The running attempt's cancellation (aborted once the server timed it out or cancelled it); none outside one. */
export function cancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** How often a delivering page re-reads its run's pause flag: a pause stops new sends within this, not a chunk. */
const PAUSE_POLL_MS = 250;

/**
 * Reads the run's pause flag now and again every PAUSE_POLL_MS while a page delivers. A failed read keeps the last
 * answer: the page's own reads and commits fail it if Redis is gone.
 */
async function watchPause(read: () => Promise<boolean>): Promise<{ held: () => boolean; stop: () => void }> {
  let paused = await read();
  const timer = setInterval(
    () =>
      void read().then(
        (p) => void (paused = p),
        () => undefined,
      ),
    PAUSE_POLL_MS,
  );
  timer.unref();
  return { held: () => paused, stop: () => clearInterval(timer) };
}

/** Counts outcomes by status. */
export const count = (outcomes: readonly SendOutcome[]): BatchCounts => {
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

/** A segment reading a field its purpose does not allow, as the permanent failure it is; anything else as it is. */
export const asFailure = (e: unknown): unknown =>
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

/**
 * One page of a run's members, guarded, logged and sent: screened (holdout, consent pre-filter), decided on the
 * states the screen loaded, and each member left waiting (deferred, busy) scheduled for another attempt.
 */
export async function sendRunPage(
  deps: RunActivityDeps,
  spec: SendSpec,
  segmentId: string | undefined,
  holdoutPercent: number,
  refs: readonly SubjectRef[],
  deferral: DeferralPolicy,
): Promise<SendOutcome[]> {
  const clock = deps.now ?? (() => new Date());
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
  const pause = await watchPause(() => bundled.runs.journeys.paused(spec.runId));
  const outcomes = await runGuardedSends(bundled, spec, refs, {
    excluded,
    loaded,
    deferral,
    dueOnly: true,
    heartbeat: () => heartbeat(),
    signal: cancellation(),
    held: pause.held,
  }).finally(pause.stop);
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
