import type { Client } from '@temporalio/client';
import { mapWindowed } from '../../domain/concurrency.js';

// Search attributes are registered values, but a campaign id is still quoted safely into the visibility query.
const runningJourneys = (campaignId: string): string =>
  `WorkflowType = 'journey' AND CampaignId = '${campaignId.replace(/'/g, '')}' AND ExecutionStatus = 'Running'`;

/**
 * Signals (pause, resume or cancel) every running journey of the campaign that visibility lists (by its CampaignId search attribute), except
 * those in `skip` (already signalled); returns how many.
 */
export async function signalCampaignJourneys(
  client: Client,
  campaignId: string,
  signal: 'pause' | 'resume' | 'cancel',
  skip: ReadonlySet<string> = new Set(),
): Promise<number> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: runningJourneys(campaignId) }))
    if (!skip.has(wf.workflowId)) ids.push(wf.workflowId);
  // A journey that ended between the listing and the signal has nothing left to pause.
  const sent = await mapWindowed(ids, 32, (id) =>
    client.workflow
      .getHandle(id)
      .signal(signal)
      .then(
        () => 1,
        () => 0,
      ),
  );
  return sent.reduce<number>((a, n) => a + n, 0);
}

/** Whether any journey of the campaign still runs, and whether it is paused (all of a campaign's pause together). */
export async function campaignJourneysState(
  client: Client,
  campaignId: string,
): Promise<'none' | 'running' | 'paused'> {
  for await (const wf of client.workflow.list({ query: runningJourneys(campaignId), pageSize: 1 })) {
    const state = await client.workflow
      .getHandle(wf.workflowId)
      .query<{ paused?: boolean }>('journeyState')
      .catch(() => ({ paused: false }));
    return state.paused ? 'paused' : 'running';
  }
  return 'none';
}

/**
 * Whether any of these journeys is still running, by one visibility query (ids are the deterministic journey ids,
 * quoted safely). A failed query counts as running, so what depends on the answer is kept.
 */
export async function anyJourneyRunning(client: Client, workflowIds: readonly string[]): Promise<boolean> {
  if (workflowIds.length === 0) return false;
  const ids = workflowIds.map((id) => `'${id.replace(/'/g, '')}'`).join(', ');
  const query = `WorkflowType = 'journey' AND ExecutionStatus = 'Running' AND WorkflowId IN (${ids})`;
  try {
    for await (const _ of client.workflow.list({ query, pageSize: 1 })) return true;
    return false;
  } catch {
    return true;
  }
}
