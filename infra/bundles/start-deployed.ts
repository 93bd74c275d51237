import type { Client } from '@temporalio/client';
import type { Campaign } from '../../domain/campaign.js';
import type { PolicyBundle } from '../../domain/policy.js';
import type { Services } from '../compose.js';
import { startCampaign, type Audience, type StartResult } from '../temporal/campaign-runs.js';
import type { BroadcastInput } from '../../workflows/broadcast.js';
import type { Workspace } from '../workspace/load.js';
import { deployCampaign, type DeployResult } from './deploy.js';

/** A deployed start: the bundle every journey and page of the run uses, and what the start did. */
export type DeployedStart =
  | {
      readonly ok: true;
      readonly bundle: string;
      readonly created: boolean;
      readonly policyVersion: string;
      readonly policyCreated: boolean;
      readonly start: StartResult;
    }
  | Exclude<DeployResult, { ok: true }>;

/**
 * The one way a campaign starts (CLI and library): deploy it (lint, store the bundle and policy snapshot), then
 * start the run with the bundle's hash, which is also the campaign version every log entry of the run names.
 */
export async function deployAndStart(
  io: { readonly client: Client; readonly services: Pick<Services, 'bundles' | 'runs'>; readonly taskQueue: string },
  ws: Workspace,
  policy: PolicyBundle,
  campaign: Campaign,
  audience: Audience,
  opts: {
    readonly timeScale?: number;
    readonly pageSize?: number;
    readonly deferral?: BroadcastInput['deferral'];
    readonly monitorTickMs?: number;
  } = {},
): Promise<DeployedStart> {
  const segment = 'segment' in audience ? audience.segment : undefined;
  const d = await deployCampaign(io.services.bundles, ws, policy, campaign, { segment });
  if (!d.ok) return d;
  // The deployed campaign already names the segment, so the run takes its audience from there.
  const who: Audience = 'subjectRefs' in audience ? audience : {};
  const { monitorTickMs, ...rest } = opts;
  const monitor = {
    defaults: policy.monitoring.thresholds,
    ...(monitorTickMs === undefined ? {} : { tickMs: monitorTickMs }),
  };
  const start = await startCampaign(io.client, d.campaign, who, {
    taskQueue: io.taskQueue,
    campaignVersion: d.hash,
    bundle: d.hash,
    runs: io.services.runs,
    ...rest,
    monitor,
  });
  return {
    ok: true,
    bundle: d.hash,
    created: d.created,
    policyVersion: d.policyVersion,
    policyCreated: d.policyCreated,
    start,
  };
}
