import { continueAsNew, patched, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { parseDuration, type Campaign } from '../domain/campaign.js';
import { enrolmentSpec, type RunReconciliation } from '../domain/run.js';
import type { Activities } from '../activities/index.js';
import { sendChunks } from './broadcast-chunks.js';
import { cancelSignal, pauseSignal, progressQuery, resumeSignal, type CampaignProgress } from './signals.js';
import { waitWhileHeld } from './run-hold.js';

/** A campaign run: a fixed audience, paged in order, resumable across continue-as-new, closed by a summary. */
export interface BroadcastInput {
  readonly v: 1;
  readonly campaign: Campaign;
  readonly campaignVersion: string;
  /** The deployed bundle (its hash) the run's templates and segment come from; absent before deploys existed. */
  readonly bundle?: string;
  readonly pageSize?: number;
  /**
   * A broadcast's chunks in flight at once (default 4, at most 32); journey enrolment pages one at a time. Runs
   * recorded before `broadcast-in-flight-4` default to 1, as they ran. More in flight means more chunk attempts
   * timed out under load and retried while the first still runs: the ledger's per-attempt reservations and leases
   * keep that to one message per member.
   */
  readonly chunksInFlight?: number;
  /** Pages an execution handles before continuing as new (default 200), keeping its history small. */
  readonly pagesPerRun?: number;
  readonly timeScale?: number;
  /** The run id (recorded by the starter); the first execution's run id when absent. */
  readonly runId?: string;
  /** Carried over continue-as-new: the last member handled, in audience order. */
  readonly after?: string;
  readonly progress?: CampaignProgress;
  /** Carried over continue-as-new, so a pause survives it. */
  readonly paused?: boolean;
  /** One recipient's 4xx retries: first delay and attempts in all (the delay is scaled by timeScale). */
  readonly deferral?: { readonly baseMs: number; readonly maxAttempts: number };
}

const retry = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 60,
  nonRetryableErrorTypes: ['FieldNotAllowedFailure', 'SegmentUnknownFailure', 'RunUnknownFailure'],
};
const { sendBroadcastChunk, enrolJourneys, snapshotAudience, sweepRun, retryDeferred, finishRun } =
  proxyActivities<Activities>({
    startToCloseTimeout: '10 minutes',
    // Chunks heartbeat every 50 sends; a dead worker's chunk is retried elsewhere within seconds, not minutes.
    heartbeatTimeout: '15 seconds',
    retry,
  });

// Unanswered, a held broadcast cannot know whether it may go on: it keeps asking rather than failing.
const { journeyHeld: runHeld } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['InvalidActivityInputFailure'],
  },
});

const empty: CampaignProgress = {
  status: 'running',
  phase: 'audience',
  pages: 0,
  audienceSize: 0,
  handled: 0,
  counts: {},
};

function add(p: CampaignProgress, counts: Readonly<Record<string, number>>, handled: number): CampaignProgress {
  const next = { ...p.counts };
  for (const [k, n] of Object.entries(counts)) next[k] = (next[k] ?? 0) + n;
  return { ...p, pages: p.pages + 1, handled: p.handled + handled, counts: next };
}

/** Pages through the run's fixed audience: a broadcast sends per page, a journey campaign enrols per-subject journeys. */
export async function broadcast(input: BroadcastInput): Promise<CampaignProgress> {
  let progress: CampaignProgress = input.progress ?? empty;
  let after = input.after ?? '';
  let paused = input.paused ?? false;
  let cancelled = false;
  setHandler(progressQuery, () => ({
    ...progress,
    status: cancelled ? 'cancelled' : paused ? 'paused' : progress.status,
  }));
  // Pause and resume signals seen so far, so a re-read of the run flag never undoes a newer signal.
  let holdSignals = 0;
  setHandler(pauseSignal, () => void ((paused = true), (holdSignals += 1)));
  setHandler(resumeSignal, () => void ((paused = false), (holdSignals += 1)));
  setHandler(cancelSignal, () => void (cancelled = true));

  const { campaign } = input;
  const { workflowId, firstExecutionRunId, runId: temporalRunId } = workflowInfo();
  const runId = input.runId ?? firstExecutionRunId;
  const pageSize = input.pageSize ?? 250;
  const scale = input.timeScale ?? 1;
  const deferral = {
    baseMs: Math.max(1, Math.round((input.deferral?.baseMs ?? 60_000) * scale)),
    maxAttempts: input.deferral?.maxAttempts ?? 6,
  };
  const sendStep = campaign.steps[0];
  const cap = campaign.options.frequencyCap;
  const spec =
    campaign.options.kind === 'broadcast' && sendStep?.type === 'send'
      ? {
          campaignId: campaign.id,
          campaignVersion: input.campaignVersion,
          workflowId,
          runId,
          stepId: sendStep.id,
          purpose: sendStep.purpose ?? campaign.purpose,
          channel: sendStep.channel,
          processor: sendStep.processor,
          templateId: sendStep.template,
          frequencyCap:
            cap && cap.channel === sendStep.channel ? { max: cap.max, perMs: parseDuration(cap.per) } : undefined,
          bundle: input.bundle,
        }
      : undefined;
  // A run recorded by its starter keeps a flag that pause, resume and cancel set before they signal: a broadcast held
  // for long reads it again, so a resume or cancel whose signal was lost still reaches it.
  const reread =
    input.runId === undefined
      ? undefined
      : async () => {
          const seen = holdSignals;
          const held = await runHeld({ runId });
          if (held === 'cancelled') cancelled = true;
          else if (!held && holdSignals === seen) paused = false;
        };
  const gate = async () => {
    await waitWhileHeld(() => paused && !cancelled, scale, reread);
    return cancelled;
  };
  const close = async (cancel: boolean) => {
    const closeSpec = spec ?? enrolmentSpec(campaign, input.campaignVersion, workflowId, runId);
    return finishRun({
      runId,
      campaignId: campaign.id,
      campaignVersion: input.campaignVersion,
      workflowId,
      temporalRunId,
      cancelled: cancel,
      closeSpec,
    });
  };
  const cancel = async (): Promise<CampaignProgress> => {
    const summary = await close(true);
    return {
      ...progress,
      status: 'cancelled',
      phase: 'done',
      outcomes: summary.outcomes,
      unaccounted: summary.unaccounted,
    };
  };

  if (progress.phase === 'audience') {
    const a = await snapshotAudience({
      runId,
      segmentId: campaign.audience.segment,
      purpose: campaign.purpose,
      bundle: input.bundle,
    });
    progress = { ...progress, phase: 'pages', audienceSize: a.size };
  }
  while (progress.phase === 'pages') {
    if (spec && patched('broadcast-overlap-v1')) {
      const fromPages = progress.pages;
      const end = await sendChunks({
        runId,
        after,
        pageSize,
        inFlight: Math.min(32, Math.max(1, input.chunksInFlight ?? (patched('broadcast-in-flight-4') ? 4 : 1))),
        gate,
        send: async (start) => {
          const r = await sendBroadcastChunk({
            spec,
            segmentId: campaign.audience.segment,
            holdoutPercent: campaign.options.holdoutPercent,
            after: start,
            count: pageSize,
            deferral,
          });
          progress = add(
            progress,
            r.counts,
            Object.values(r.counts).reduce((a, n) => a + n, 0),
          );
        },
        handOver: () =>
          workflowInfo().continueAsNewSuggested || progress.pages - fromPages >= (input.pagesPerRun ?? 200),
      });
      if (end.status === 'cancelled') return cancel();
      if (end.status === 'handover')
        await continueAsNew<typeof broadcast>({ ...input, runId, after: end.after, progress, paused });
      progress = { ...progress, phase: 'deferred' };
      break;
    }
    if (await gate()) return cancel();
    const r = spec
      ? await sendBroadcastChunk({
          spec,
          segmentId: campaign.audience.segment,
          holdoutPercent: campaign.options.holdoutPercent,
          after,
          count: pageSize,
          deferral,
        })
      : await enrolJourneys({
          campaign,
          campaignVersion: input.campaignVersion,
          bundle: input.bundle,
          workflowId,
          runId,
          after,
          count: pageSize,
          timeScale: scale,
        });
    progress = add(
      progress,
      r.counts,
      Object.values(r.counts).reduce((a, n) => a + n, 0),
    );
    if (r.cursor === null) progress = { ...progress, phase: 'deferred' };
    else after = r.cursor;
    // Keep history small on big audiences: hand the position and counts to a fresh run.
    if (progress.phase === 'pages' && (workflowInfo().continueAsNewSuggested || progress.pages % 200 === 0)) {
      await continueAsNew<typeof broadcast>({ ...input, runId, after, progress, paused });
    }
  }
  const done = (summary: RunReconciliation): CampaignProgress => ({
    ...progress,
    status: 'completed',
    phase: 'done',
    outcomes: summary.outcomes,
    unaccounted: summary.unaccounted,
  });
  if (spec) {
    // Anything without a terminal outcome (a deferred recipient, a send another attempt held) is attempted again,
    // each recipient on its own schedule, until its budget ends in a logged outcome. When the pages left no one
    // pending, the first sweep closes the run from its own reading.
    const onePass = patched('run-close-one-pass-v1');
    if (onePass && cancelled) return cancel();
    const finish = { campaignId: campaign.id, campaignVersion: input.campaignVersion, workflowId, temporalRunId };
    const sweep = () => sweepRun(onePass ? { runId, finish } : { runId });
    const first = await sweep();
    if (first.summary) return done(first.summary);
    for (;;) {
      if (await gate()) return cancel();
      const w = await retryDeferred({
        spec,
        segmentId: campaign.audience.segment,
        holdoutPercent: campaign.options.holdoutPercent,
        deferral,
      });
      if (w.remaining === 0) {
        const again = await sweep();
        if (again.summary) return done(again.summary);
        if (again.pending === 0) break;
        continue;
      }
      await sleep(Math.max(100, (w.nextDueAt ?? 0) - Date.now()));
    }
  }
  return done(await close(false));
}
