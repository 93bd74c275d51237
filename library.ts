// The library surface for services that already hold a Temporal client and a Redis connection.
import type { Client } from '@temporalio/client';
import { ulid } from 'ulid';
import { buildConsentEvent, type ConsentRecordRequest, type ConsentRecordResult } from './domain/consent-record.js';
import type { Services } from './infra/compose.js';
import { startPropagation } from './infra/temporal/rights.js';

export { defineCampaign, type Campaign, type CampaignInput } from './domain/campaign.js';
export { defineSegment, type Segment, type SegmentInput } from './domain/segment.js';
export type { PolicyBundle, PolicyBundleInput } from './domain/policy.js';
export { decide, type Decision, type GuardRequest } from './domain/guard.js';
export { buildConfig, parseEnv, type AppConfig } from './infra/config.js';
export { createServices, type Services } from './infra/compose.js';
export { connectClient, dataConverter } from './infra/temporal/connection.js';
export { startCampaign, runState, campaignWorkflowId, type Audience, type StartResult } from './infra/temporal/campaign-runs.js';
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
  const built = buildConsentEvent({ ...rest, subjectRef: deps.services.pseudonymize(subjectId) }, deps.services.policy.bundle, now, ulid(now.getTime()));
  if (!built.ok) return built;
  await deps.services.consent.append(built.event);
  if (built.event.type !== 'withdrawn' || !deps.client) return built;
  const propagation = await startPropagation(deps.client, deps.taskQueue ?? 'consentflow', {
    v: 1, changeId: built.event.id, kind: 'withdrawn', subjectRef: built.event.subjectRef, purpose: built.event.purpose, channel: built.event.channel,
  });
  return { ...built, propagation };
}
