import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CampaignState } from '../../activities/monitor.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { campaignWorkflowId } from './campaign-runs.js';
import { campaignJourneysState } from './campaign-journeys.js';

/** Whether a campaign's fan-out or its journeys are running, paused (by anyone) or closed, from Temporal. */
export async function campaignState(client: Client, campaignId: string): Promise<CampaignState> {
  const handle = client.workflow.getHandle(campaignWorkflowId(campaignId));
  try {
    const d = await handle.describe();
    if (d.status.name === 'RUNNING') {
      const p = await handle.query<CampaignProgress>('progress');
      if (p.status === 'paused' || p.status === 'running') return p.status;
    }
  } catch (e) {
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  }
  // A journey campaign's fan-out ends once everyone is enrolled; its journeys go on for days.
  const journeys = await campaignJourneysState(client, campaignId);
  return journeys === 'none' ? 'closed' : journeys;
}
