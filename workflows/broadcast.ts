import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { parseDuration, type Campaign } from '../domain/campaign.js';
import type { Activities } from '../activities/index.js';
import { cancelSignal, pauseSignal, progressQuery, resumeSignal, type CampaignProgress } from './signals.js';

/** A campaign run: a cursor-paged fan-out over the audience segment, resumable across continue-as-new. */
export interface BroadcastInput {
  readonly v: 1;
  readonly campaign: Campaign;
  readonly campaignVersion: string;
  readonly pageSize?: number;
  readonly timeScale?: number;
  /** Carried over continue-as-new. */
  readonly cursor?: string;
  readonly progress?: CampaignProgress;
  /** Carried over continue-as-new, so a pause survives it. */
  readonly paused?: boolean;
}

const { sendBroadcastChunk, enrolJourneys } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  // Chunks heartbeat every 50 sends; a dead worker's chunk is retried elsewhere within seconds, not minutes.
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30, nonRetryableErrorTypes: ['FieldNotAllowedFailure', 'SegmentUnknownFailure'] },
});

const empty: CampaignProgress = { status: 'running', pages: 0, scanned: 0, enrolled: 0, heldOut: 0, sent: 0, failed: 0, duplicate: 0, denied: {} };

function add(p: CampaignProgress, c: Partial<Omit<CampaignProgress, 'status' | 'denied'>> & { denied?: Readonly<Record<string, number>> }): CampaignProgress {
  const denied = { ...p.denied };
  for (const [k, n] of Object.entries(c.denied ?? {})) denied[k] = (denied[k] ?? 0) + n;
  return {
    ...p,
    pages: p.pages + 1,
    scanned: p.scanned + (c.scanned ?? 0),
    enrolled: p.enrolled + (c.enrolled ?? 0),
    heldOut: p.heldOut + (c.heldOut ?? 0),
    sent: p.sent + (c.sent ?? 0),
    failed: p.failed + (c.failed ?? 0),
    duplicate: p.duplicate + (c.duplicate ?? 0),
    denied,
  };
}

/** Pages through the segment: a broadcast sends per chunk, a journey campaign enrols per-subject journeys. */
export async function broadcast(input: BroadcastInput): Promise<CampaignProgress> {
  let progress: CampaignProgress = input.progress ?? empty;
  let cursor = input.cursor ?? '0';
  let paused = input.paused ?? false;
  let cancelled = false;
  setHandler(progressQuery, () => ({ ...progress, status: cancelled ? 'cancelled' : paused ? 'paused' : progress.status }));
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(cancelSignal, () => void (cancelled = true));

  const { campaign } = input;
  const pageSize = input.pageSize ?? 250;
  const sendStep = campaign.steps[0];
  const cap = campaign.options.frequencyCap;
  for (;;) {
    await condition(() => !paused || cancelled);
    if (cancelled) return { ...progress, status: 'cancelled' };
    if (campaign.options.kind === 'broadcast' && sendStep?.type === 'send') {
      const { workflowId, runId } = workflowInfo();
      const r = await sendBroadcastChunk({
        spec: {
          campaignId: campaign.id, campaignVersion: input.campaignVersion, workflowId, runId, stepId: sendStep.id, purpose: sendStep.purpose ?? campaign.purpose,
          channel: sendStep.channel, processor: sendStep.processor, templateId: sendStep.template,
          frequencyCap: cap && cap.channel === sendStep.channel ? { max: cap.max, perMs: parseDuration(cap.per) } : undefined,
        },
        segmentId: campaign.audience.segment,
        holdoutPercent: campaign.options.holdoutPercent,
        cursor,
        count: pageSize,
      });
      progress = add(progress, r.counts);
      cursor = r.cursor;
    } else {
      const r = await enrolJourneys({ campaign, campaignVersion: input.campaignVersion, cursor, count: pageSize, timeScale: input.timeScale ?? 1 });
      progress = add(progress, r.counts);
      cursor = r.cursor;
    }
    if (cursor === '0') break;
    // Keep history small on big audiences: hand the cursor and counts to a fresh run.
    if (workflowInfo().continueAsNewSuggested || progress.pages % 200 === 0) {
      await continueAsNew<typeof broadcast>({ ...input, cursor, progress, paused });
    }
  }
  progress = { ...progress, status: 'completed' };
  return progress;
}
