import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Campaign } from '../../domain/campaign.js';
import type { SubjectRef } from '../../domain/ids.js';
import { journeyWorkflowId } from '../../domain/run.js';
import type { RunRecord, RunStore } from '../redis/run-store.js';
import { ulid } from 'ulid';
import { mapWindowed } from '../../domain/concurrency.js';
import type { BroadcastInput } from '../../workflows/broadcast.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { journeyStarter } from './journeys.js';
import { CampaignIdKey, PurposeKey } from './search-attributes.js';
import { startCampaignMonitor, type MonitorOptions } from './campaign-monitor-start.js';

/** Who a campaign run addresses: its segment (paged fan-out) or named subjects (one journey each). */
export type Audience = { readonly segment?: string } | { readonly subjectRefs: readonly SubjectRef[] };

/** What `startCampaign` did; `runId` names the run for `campaign reconcile`. */
export type StartResult =
  | { readonly kind: 'run'; readonly workflowId: string; readonly runId: string; readonly alreadyRunning: boolean }
  | { readonly kind: 'journeys'; readonly runId: string; readonly started: number; readonly existing: number };

/** The deterministic workflow id of a campaign's fan-out run. */
export const campaignWorkflowId = (campaignId: string): string => `campaign:${campaignId}`;

const sendSteps = (c: Campaign): string[] => c.steps.flatMap((s) => (s.type === 'send' ? [s.id] : []));

/**
 * Starts a campaign from a service that already holds a Temporal client. Every start is a recorded run with a fixed
 * audience, so it can be reconciled. The definition travels by value, so in-flight journeys keep the version they
 * started with; ids are deterministic, so starting twice is safe.
 */
export async function startCampaign(
  client: Client,
  campaign: Campaign,
  audience: Audience,
  opts: {
    taskQueue: string;
    campaignVersion: string;
    runs: RunStore;
    bundle?: string;
    timeScale?: number;
    pageSize?: number;
    chunksInFlight?: number;
    pagesPerRun?: number;
    deferral?: BroadcastInput['deferral'];
    monitor?: MonitorOptions;
  },
): Promise<StartResult> {
  const bundle = opts.bundle === undefined ? {} : { bundle: opts.bundle };
  const runId = ulid();
  const startedAt = new Date().toISOString();
  if ('subjectRefs' in audience) {
    const refs = [...new Set(audience.subjectRefs)].sort();
    await opts.runs.register({
      runId,
      campaignId: campaign.id,
      kind: 'journey',
      workflowId: `subjects:${campaign.id}:${runId}`,
      startedAt,
      sendSteps: sendSteps(campaign),
      status: 'snapshotting',
    });
    await opts.runs.addMembers(runId, refs);
    await opts.runs.seal(runId);
    // Registered before they start, so a pause from now on reaches them (or they read its flag when they start).
    await opts.runs.journeys.add(
      runId,
      refs.map((ref) => journeyWorkflowId(campaign.id, ref)),
    );
    const start = journeyStarter(client, opts.taskQueue);
    const results = await mapWindowed(refs, 32, (ref) =>
      start(journeyWorkflowId(campaign.id, ref), {
        v: 1,
        campaign,
        campaignVersion: opts.campaignVersion,
        subjectRef: ref,
        timeScale: opts.timeScale,
        runId,
        ...bundle,
      }),
    );
    await opts.runs.update(runId, { status: 'finished', finishedAt: new Date().toISOString() });
    await startCampaignMonitor(client, campaign, runId, opts.taskQueue, opts.monitor);
    const started = results.filter((r) => r === 'started').length;
    return { kind: 'journeys', runId, started, existing: refs.length - started };
  }
  const target: Campaign = audience.segment ? { ...campaign, audience: { segment: audience.segment } } : campaign;
  const workflowId = campaignWorkflowId(campaign.id);
  const input: BroadcastInput = {
    v: 1,
    campaign: target,
    campaignVersion: opts.campaignVersion,
    ...bundle,
    timeScale: opts.timeScale,
    pageSize: opts.pageSize,
    chunksInFlight: opts.chunksInFlight,
    pagesPerRun: opts.pagesPerRun,
    runId,
    deferral: opts.deferral,
  };
  await opts.runs.register({
    runId,
    campaignId: campaign.id,
    kind: target.options.kind,
    workflowId,
    startedAt,
    segment: target.audience.segment,
    sendSteps: sendSteps(target),
    status: 'snapshotting',
  });
  try {
    const handle = await client.workflow.start('broadcast', {
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
    await opts.runs.update(runId, { temporalRunId: handle.firstExecutionRunId });
    // Every run is watched: the circuit breaker pauses it when its outcomes cross the thresholds.
    await startCampaignMonitor(client, target, runId, opts.taskQueue, opts.monitor);
    return { kind: 'run', workflowId, runId, alreadyRunning: false };
  } catch (e) {
    await opts.runs.forget(runId);
    if (e instanceof WorkflowExecutionAlreadyStartedError) {
      const current = (await opts.runs.list(campaign.id)).find((r) => r.workflowId === workflowId);
      return { kind: 'run', workflowId, runId: current?.runId ?? '', alreadyRunning: true };
    }
    throw e;
  }
}

/** Where a campaign's fan-out workflow stands in Temporal: its state and, for a failed run, why. */
export interface RunState {
  readonly status: string;
  readonly running: boolean;
  readonly failure?: string;
  readonly progress?: CampaignProgress;
}

/** The state of a run's workflow chain (followed across continue-as-new); undefined when Temporal has none. */
export async function runState(client: Client, run: RunRecord): Promise<RunState | undefined> {
  if (!run.temporalRunId) return undefined;
  const handle = client.workflow.getHandle(run.workflowId, undefined, { firstExecutionRunId: run.temporalRunId });
  try {
    const status = (await handle.describe()).status.name;
    const running = status === 'RUNNING';
    let failure: string | undefined;
    let progress: CampaignProgress | undefined;
    if (running) progress = await handle.query<CampaignProgress>('progress').catch(() => undefined);
    else if (status === 'COMPLETED') progress = (await handle.result()) as CampaignProgress;
    else await handle.result().catch((e: unknown) => void (failure = describeFailure(e)));
    return { status, running, failure, progress };
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return undefined;
    throw e;
  }
}

const describeFailure = (e: unknown): string => {
  const parts: string[] = [];
  for (let c: unknown = e; c instanceof Error && parts.length < 4; c = c.cause) parts.push(c.message);
  return parts.join(': ') || String(e);
};
