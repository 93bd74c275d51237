import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { campaignWorkflowId } from './campaign-runs.js';

/** What an operator can do to a running campaign's fan-out. */
export const CampaignControl = { pause: 'pause', resume: 'resume', cancel: 'cancel' } as const;
export type CampaignControl = (typeof CampaignControl)[keyof typeof CampaignControl];

// By name, as workflows/signals.ts defines them: the client side stays free of the workflow runtime.
const SIGNAL = { pause: 'pause', resume: 'resume', cancel: 'cancel' } as const;

/** Signals the campaign's broadcast; `not_running` when no run of it is open. */
export async function controlCampaign(client: Client, campaignId: string, control: CampaignControl): Promise<'signalled' | 'not_running'> {
  try {
    await client.workflow.getHandle(campaignWorkflowId(campaignId)).signal(SIGNAL[control]);
    return 'signalled';
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return 'not_running';
    throw e;
  }
}
