// The library surface for services that already hold a Temporal client and a Redis connection.
import type { Client } from '@temporalio/client';
import { ulid } from 'ulid';
import { buildConsentEvent, type ConsentRecordRequest, type ConsentRecordResult } from './domain/consent-record.js';
import type { Services } from './infra/compose.js';
import { startPropagation } from './infra/temporal/rights.js';
import { deployAndStart, type DeployedStart } from './infra/bundles/start-deployed.js';
import type { Audience } from './infra/temporal/campaign-runs.js';
import type { Workspace } from './infra/workspace/load.js';
import { failureLine } from './domain/load-result.js';

export { defineCampaign, type Campaign, type CampaignInput } from './domain/campaign.js';
export { defineSegment, type Segment, type SegmentInput } from './domain/segment.js';
export type { PolicyBundle, PolicyBundleInput } from './domain/policy.js';
export { decide, type Decision, type GuardRequest } from './domain/guard.js';
export { buildConfig, parseEnv, type AppConfig } from './infra/config.js';
export { createServices, type Services } from './infra/compose.js';
export { connectClient, dataConverter } from './infra/temporal/connection.js';
export { runState, campaignWorkflowId, type Audience, type StartResult } from './infra/temporal/campaign-runs.js';
export { deployCampaign, type DeployResult } from './infra/bundles/deploy.js';
export { BundleStore, bundleHash } from './infra/redis/bundle-store.js';
export type { DeployedStart } from './infra/bundles/start-deployed.js';
export { reconcileRun } from './infra/redis/run-reconcile.js';
export { signalConsentChange } from './infra/temporal/journeys.js';
export { startWorker, createWorker, workerContent, type WorkerContent } from './worker.js';
export { loadWorkspace, loadWorkspacePolicy, type Workspace, type CampaignFailure } from './infra/workspace/load.js';
export { workspacePaths, workspaceDir, type WorkspacePaths } from './infra/workspace/paths.js';
export { failureLine, type LoadResult, type LoadFailure } from './domain/load-result.js';
export { templatePort } from './infra/templates/port.js';
export { loadTemplates } from './infra/templates/registry.js';

/**
 * Records a consent answer with its evidence (validated against the services' policy: purposes, channels and notices) and,
 * for a withdrawal, starts propagation so running journeys exit and processors are told.
 */
export async function recordConsent(
  deps: { services: Services; client?: Client; taskQueue?: string },
  request: Omit<ConsentRecordRequest, 'subjectRef'> & { subjectId: string },
  now: Date = new Date(),
): Promise<ConsentRecordResult & { propagation?: string }> {
  const { subjectId, ...rest } = request;
  const built = buildConsentEvent(
    { ...rest, subjectRef: deps.services.pseudonymize(subjectId) },
    deps.services.policy.bundle,
    now,
    ulid(now.getTime()),
  );
  if (!built.ok) return built;
  await deps.services.consent.append(built.event);
  if (built.event.type !== 'withdrawn' || !deps.client) return built;
  const propagation = await startPropagation(deps.client, deps.taskQueue ?? 'consentflow', {
    v: 1,
    changeId: built.event.id,
    kind: 'withdrawn',
    subjectRef: built.event.subjectRef,
    purpose: built.event.purpose,
    channel: built.event.channel,
  });
  return { ...built, propagation };
}

/**
 * Deploys a campaign of the workspace (lint, then the immutable bundle and policy snapshot in Redis) and starts it
 * with that bundle, exactly as `consentflow campaign start` does. Problems come back as values, nothing is started.
 */
export async function startCampaign(
  deps: { services: Services; client: Client; workspace: Workspace; taskQueue?: string },
  campaignId: string,
  audience: Audience = {},
  opts: { timeScale?: number; pageSize?: number } = {},
): Promise<DeployedStart> {
  const ws = deps.workspace;
  const campaign = Object.hasOwn(ws.campaigns, campaignId) ? ws.campaigns[campaignId] : undefined;
  const failed = ws.campaignFailures.find((f) => f.id === campaignId);
  if (campaign === undefined)
    return {
      ok: false,
      reason: 'content',
      message: failed
        ? failureLine(failed)
        : `no campaign "${campaignId}"; campaigns: ${Object.keys(ws.campaigns).join(', ')}`,
    };
  if (!ws.policy.ok)
    return { ok: false, reason: 'content', message: `the workspace policy does not load: ${failureLine(ws.policy)}` };
  return deployAndStart(
    { client: deps.client, services: deps.services, taskQueue: deps.taskQueue ?? 'consentflow' },
    ws,
    ws.policy.value,
    campaign,
    audience,
    opts,
  );
}
