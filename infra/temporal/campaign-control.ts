import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { campaignWorkflowId } from './campaign-runs.js';
import { signalCampaignJourneys } from './campaign-journeys.js';

/** What an operator can do to a running campaign's fan-out. */
export const CampaignControl = { pause: 'pause', resume: 'resume', cancel: 'cancel' } as const;
export type CampaignControl = (typeof CampaignControl)[keyof typeof CampaignControl];

// By name, as workflows/signals.ts defines them: the client side stays free of the workflow runtime.
const SIGNAL = { pause: 'pause', resume: 'resume', cancel: 'cancel' } as const;

/**
 * Signals the campaign's broadcast and, for pause and resume, its running journeys (a journey holds before its next
 * send); `not_running` when neither is open.
 */
export async function controlCampaign(
  client: Client,
  campaignId: string,
  control: CampaignControl,
): Promise<'signalled' | 'not_running'> {
  let broadcast = true;
  try {
    await client.workflow.getHandle(campaignWorkflowId(campaignId)).signal(SIGNAL[control]);
  } catch (e) {
    if (!(e instanceof WorkflowNotFoundError)) throw e;
    broadcast = false;
  }
  const journeys = control === 'cancel' ? 0 : await signalCampaignJourneys(client, campaignId, control);
  return broadcast || journeys > 0 ? 'signalled' : 'not_running';
}
