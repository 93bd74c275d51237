import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CampaignState } from '../../activities/monitor.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { campaignWorkflowId } from './campaign-runs.js';

/** Whether a campaign's fan-out is running, paused (by anyone) or closed, from Temporal. */
export async function campaignState(client: Client, campaignId: string): Promise<CampaignState> {
  const handle = client.workflow.getHandle(campaignWorkflowId(campaignId));
  try {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') return 'closed';
    const p = await handle.query<CampaignProgress>('progress');
    return p.status === 'paused' ? 'paused' : p.status === 'running' ? 'running' : 'closed';
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return 'closed';
    throw e;
  }
}
