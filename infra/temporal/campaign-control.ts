import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { mapWindowed } from '../../domain/concurrency.js';
import type { RunStore } from '../redis/run-store.js';
import { campaignWorkflowId } from './campaign-runs.js';
import { signalCampaignJourneys } from './campaign-journeys.js';

/** What an operator can do to a running campaign's fan-out. */
export const CampaignControl = { pause: 'pause', resume: 'resume', cancel: 'cancel' } as const;
export type CampaignControl = (typeof CampaignControl)[keyof typeof CampaignControl];

// By name, as workflows/signals.ts defines them: the client side stays free of the workflow runtime.
const SIGNAL = { pause: 'pause', resume: 'resume', cancel: 'cancel' } as const;

/** Where a campaign's runs and their registered journeys are kept. */
export type CampaignRuns = Pick<RunStore, 'list' | 'journeys'>;

const SIGNALS_IN_FLIGHT = 32;

/** The runs' flags were set but Temporal could not be reached for the signals: run the control again. */
export class CampaignSignalError extends Error {
  override readonly name = 'CampaignSignalError';
  constructor(
    readonly campaignId: string,
    readonly control: CampaignControl,
    /** Runs whose flag was set. */
    readonly runsFlagged: number,
    cause: unknown,
  ) {
    super(`the ${control} signal could not reach Temporal: ${(cause as Error).message ?? String(cause)}`, { cause });
  }
}

/**
 * Signals the campaign's broadcast and its journeys (a journey holds before its next send on pause, and ends before
 * its next step on cancel); `not_running` when nothing took the signal. Each run's flag is set first and its
 * registered journeys are signalled after, so a journey registered too late for the signal reads the flag when it
 * starts. A cancelled run's flag is final: a later pause or resume leaves it. A journey already
 * closed, or not started yet, is not found and skipped; any other failure (Temporal unreachable) is thrown, so the
 * caller retries the whole control, which is idempotent.
 */
export async function controlCampaign(
  temporal: Client | (() => Promise<Client>),
  runs: CampaignRuns,
  campaignId: string,
  control: CampaignControl,
): Promise<'signalled' | 'not_running'> {
  const open = await runs.list(campaignId);
  await Promise.all(
    open.map((r) =>
      control === 'cancel'
        ? runs.journeys.setCancelled(r.runId)
        : runs.journeys.setPaused(r.runId, control === 'pause'),
    ),
  );
  // Connected only now: with Temporal away the flags above still hold every send a chunk in flight would start.
  let client: Client;
  try {
    client = typeof temporal === 'function' ? await temporal() : temporal;
  } catch (e) {
    throw new CampaignSignalError(campaignId, control, open.length, e);
  }
  let broadcast = true;
  try {
    await client.workflow.getHandle(campaignWorkflowId(campaignId)).signal(SIGNAL[control]);
  } catch (e) {
    if (!(e instanceof WorkflowNotFoundError)) throw e;
    broadcast = false;
  }
  const signalled = new Set<string>();
  for (const run of open)
    for await (const ids of runs.journeys.pages(run.runId)) {
      const fresh = ids.filter((id) => !signalled.has(id));
      const sent = await mapWindowed(fresh, SIGNALS_IN_FLIGHT, (id) =>
        client.workflow
          .getHandle(id)
          .signal(SIGNAL[control])
          .then(
            () => true,
            (e: unknown) => {
              if (e instanceof WorkflowNotFoundError) return false;
              throw e;
            },
          ),
      );
      fresh.forEach((id, i) => (sent[i] ? signalled.add(id) : undefined));
    }
  // Journeys enrolled before runs kept a registry are found through visibility, as they always were.
  const listed = await signalCampaignJourneys(client, campaignId, control, signalled);
  return broadcast || signalled.size + listed > 0 ? 'signalled' : 'not_running';
}
