import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Campaign } from '../../domain/campaign.js';
import type { SubjectRef } from '../../domain/ids.js';
import { journeyWorkflowId } from '../../activities/campaign.js';
import { mapWindowed } from '../../activities/concurrency.js';
import type { BroadcastInput } from '../../workflows/broadcast.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { journeyStarter } from './journeys.js';
import { CampaignIdKey, PurposeKey } from './search-attributes.js';

/** Who a campaign run addresses: its segment (paged fan-out) or named subjects (one journey each). */
export type Audience = { readonly segment?: string } | { readonly subjectRefs: readonly SubjectRef[] };

/** What `startCampaign` did. */
export type StartResult =
  | { readonly kind: 'run'; readonly workflowId: string; readonly alreadyRunning: boolean }
  | { readonly kind: 'journeys'; readonly started: number; readonly existing: number };

/** The deterministic workflow id of a campaign's fan-out run. */
export const campaignWorkflowId = (campaignId: string): string => `campaign:${campaignId}`;

/**
 * Starts a campaign from a service that already holds a Temporal client. The definition travels by value, so
 * in-flight journeys keep the version they started with; ids are deterministic, so starting twice is safe.
 */
export async function startCampaign(
  client: Client,
  campaign: Campaign,
  audience: Audience,
  opts: { taskQueue: string; campaignVersion: string; timeScale?: number; pageSize?: number },
): Promise<StartResult> {
  if ('subjectRefs' in audience) {
    const start = journeyStarter(client, opts.taskQueue);
    const results = await mapWindowed(audience.subjectRefs, 32, (ref) =>
      start(journeyWorkflowId(campaign.id, ref), { v: 1, campaign, campaignVersion: opts.campaignVersion, subjectRef: ref, timeScale: opts.timeScale }),
    );
    const started = results.filter((r) => r === 'started').length;
    return { kind: 'journeys', started, existing: audience.subjectRefs.length - started };
  }
  const target: Campaign = audience.segment ? { ...campaign, audience: { segment: audience.segment } } : campaign;
  const input: BroadcastInput = { v: 1, campaign: target, campaignVersion: opts.campaignVersion, timeScale: opts.timeScale, pageSize: opts.pageSize };
  const workflowId = campaignWorkflowId(campaign.id);
  try {
    await client.workflow.start('broadcast', {
      taskQueue: opts.taskQueue,
      workflowId,
      args: [input],
      // A finished run may be started again (a new send wave); the ledger still stops repeats per subject.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: CampaignIdKey, value: campaign.id },
        { key: PurposeKey, value: campaign.purpose },
      ],
    });
    return { kind: 'run', workflowId, alreadyRunning: false };
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) return { kind: 'run', workflowId, alreadyRunning: true };
    throw e;
  }
}

/** The latest run's progress, or undefined when the campaign was never started. */
export async function campaignProgress(client: Client, campaignId: string): Promise<{ progress: CampaignProgress; running: boolean } | undefined> {
  const handle = client.workflow.getHandle(campaignWorkflowId(campaignId));
  try {
    const desc = await handle.describe();
    const running = desc.status.name === 'RUNNING';
    // A completed run's result needs no worker; anything else (running, paused, cancelled) answers the query.
    const progress = desc.status.name === 'COMPLETED' ? ((await handle.result()) as CampaignProgress) : await handle.query<CampaignProgress>('progress');
    return { progress, running };
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return undefined;
    throw e;
  }
}
