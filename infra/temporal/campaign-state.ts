import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CampaignState } from '../../activities/monitor.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import type { RunJourneys } from '../redis/run-journeys.js';
import { campaignWorkflowId } from './campaign-runs.js';
import { campaignJourneysState } from './campaign-journeys.js';

/** A run's journey registry, asked when visibility lists none of the campaign's journeys. */
export interface RunRegistry {
  readonly runId: string;
  readonly journeys: Pick<RunJourneys, 'pages' | 'paused'>;
}

/**
 * Whether a campaign's fan-out or its journeys are running, paused (by anyone) or closed, from Temporal. Visibility
 * lags behind a journey's start, so "none listed" is only believed once the run's registry has no journey running
 * either; otherwise a monitor would end on its first tick right after a journey run started.
 */
export async function campaignState(
  client: Client,
  campaignId: string,
  registry?: RunRegistry,
): Promise<CampaignState> {
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
  if (journeys !== 'none') return journeys;
  if (registry === undefined || !(await registeredJourneyRuns(client, registry))) return 'closed';
  return (await registry.journeys.paused(registry.runId)) ? 'paused' : 'running';
}

/** Whether any journey the run registered is still running (stops at the first; a closed or unstarted one is not). */
async function registeredJourneyRuns(client: Client, registry: RunRegistry): Promise<boolean> {
  for await (const ids of registry.journeys.pages(registry.runId))
    for (const id of ids) {
      const d = await client.workflow
        .getHandle(id)
        .describe()
        .catch((e: unknown) => {
          if (e instanceof WorkflowNotFoundError) return undefined;
          throw e;
        });
      if (d?.status.name === 'RUNNING') return true;
    }
  return false;
}
