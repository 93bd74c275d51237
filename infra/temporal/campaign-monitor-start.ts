import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Campaign } from '../../domain/campaign.js';
import { effectiveThresholds, MonitorThresholds } from '../../domain/monitor-thresholds.js';
import type { CampaignMonitorInput } from '../../workflows/campaign-monitor.js';
import { CampaignIdKey } from './search-attributes.js';

/** How a run is monitored: the policy's default thresholds (the built-in ones when absent) and the tick. */
export interface MonitorOptions {
  readonly defaults?: MonitorThresholds;
  readonly tickMs?: number;
}

const DEFAULT_TICK_MS = 15_000;

/** The monitor's workflow id: one per campaign run. */
export const campaignMonitorWorkflowId = (campaignId: string, runId: string): string =>
  `monitor:${campaignId}:${runId}`;

/** Starts the run's monitor with the campaign's thresholds over the policy's; starting it twice is a no-op. */
export async function startCampaignMonitor(
  client: Client,
  campaign: Campaign,
  runId: string,
  taskQueue: string,
  opts: MonitorOptions = {},
): Promise<string> {
  const input: CampaignMonitorInput = {
    v: 1,
    campaignId: campaign.id,
    runId,
    thresholds: effectiveThresholds(opts.defaults ?? MonitorThresholds.parse({}), campaign.options.monitor),
    tickMs: opts.tickMs ?? DEFAULT_TICK_MS,
  };
  const workflowId = campaignMonitorWorkflowId(campaign.id, runId);
  try {
    await client.workflow.start('campaignMonitor', {
      taskQueue,
      workflowId,
      args: [input],
      typedSearchAttributes: [{ key: CampaignIdKey, value: campaign.id }],
    });
  } catch (e) {
    if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
  }
  return workflowId;
}
