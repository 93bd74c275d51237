import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import { crossings } from '../domain/monitor-window.js';
import { windowMs, type MonitorThresholds } from '../domain/monitor-thresholds.js';
import type { Activities } from '../activities/index.js';

/** One campaign run's monitor: the thresholds travel by value, like the campaign, so a run keeps the ones it started with. */
export interface CampaignMonitorInput {
  readonly v: 1;
  readonly campaignId: string;
  readonly runId: string;
  readonly thresholds: MonitorThresholds;
  /** How often the window is read, in ms. */
  readonly tickMs: number;
  /** Carried over continue-as-new: outcomes before this instant are not judged (a resume after a monitor pause). */
  readonly notBefore?: number;
  readonly pauses?: number;
  /** Carried over continue-as-new: the monitor paused the campaign and waits for a person to resume it. */
  readonly holding?: 'signalled' | 'seen_paused';
}

const { readCampaignWindow, campaignState, pauseByMonitor } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: ['InvalidActivityInputFailure'],
  },
});

// Keeps history small: a tick is three events at most, and a monitor may watch a run for weeks.
const TICKS_PER_RUN = 300;

/** What the monitor did before it ended with its campaign. */
export interface CampaignMonitorResult {
  readonly pauses: number;
}

/**
 * Watches a campaign's sliding window of outcomes every tick and pauses the campaign when a threshold is crossed.
 * After its own pause it waits for a person: once the campaign runs again, only what follows the resume is judged,
 * so the figures that caused the pause do not pause it a second time.
 */
export async function campaignMonitor(input: CampaignMonitorInput): Promise<CampaignMonitorResult> {
  const { campaignId, runId, thresholds } = input;
  const span = windowMs(thresholds);
  // The run's counters hold only its own outcomes, so until a resume nothing in them is too early to judge.
  let notBefore = input.notBefore ?? 0;
  let pauses = input.pauses ?? 0;
  let holding = input.holding;
  for (let tick = 0; tick < TICKS_PER_RUN; tick++) {
    const state = await campaignState({ campaignId, runId });
    if (state === 'closed') return { pauses };
    if (holding === 'signalled' && state === 'paused') holding = 'seen_paused';
    if (holding === 'seen_paused' && state === 'running') {
      holding = undefined;
      notBefore = Date.now();
    }
    if (holding === undefined && state === 'running') {
      const now = Date.now();
      const counts = await readCampaignWindow({
        campaignId,
        runId,
        since: new Date(Math.max(now - span, notBefore)).toISOString(),
        until: new Date(now).toISOString(),
      });
      const crossed = crossings(counts, thresholds);
      if (crossed.length > 0) {
        pauses += 1;
        holding = 'signalled';
        const r = await pauseByMonitor({
          campaignId,
          runId,
          window: thresholds.window,
          seq: pauses,
          at: new Date(now).toISOString(),
          crossed,
        });
        if (r === 'not_running') return { pauses };
      }
    }
    await sleep(input.tickMs);
  }
  return continueAsNew<typeof campaignMonitor>({ ...input, notBefore, pauses, holding });
}
