import type { Client } from '@temporalio/client';
import type { AlertActivityDeps } from '../activities/alert.js';
import type { MonitorActivityDeps } from '../activities/monitor.js';
import type { OperationsActivityDeps } from '../activities/operations.js';
import type { Redis } from 'ioredis';
import { openSubjectRequests } from './temporal/subject-requests.js';
import type { PolicyBundle } from '../domain/policy.js';
import { mailAlert } from './alerts/email.js';
import { alertRaiser } from './alerts/raise.js';
import { alertSigningKey, postAlert } from './alerts/webhook.js';
import type { Services } from './compose.js';
import type { AppConfig } from './config.js';
import type { Mailer } from './smtp/transport.js';
import { readRunCounters } from './redis/run-counters.js';
import { controlCampaign } from './temporal/campaign-control.js';
import { campaignState } from './temporal/campaign-state.js';

/** Wires the monitor's, the operations watch's and the alerts' ports: the log, the unsubscribe counter, Temporal, the webhook and the mail. */
export function monitorDeps(
  config: AppConfig,
  s: Services,
  io: { redis: Redis; client: Client; taskQueue: string; mailer: Mailer; policy: PolicyBundle },
): Omit<MonitorActivityDeps & AlertActivityDeps & OperationsActivityDeps, 'policy' | 'policyAt' | 'appendLog'> {
  const url = config.env.CONSENTFLOW_ALERT_WEBHOOK_URL;
  const key = alertSigningKey(config.secrets.tokenKey);
  const contact = io.policy.monitoring.complianceContact;
  return {
    runCounters: (runId, since, until) =>
      readRunCounters(io.redis, s.keys, config.logPartitions, runId, since.getTime(), until.getTime()),
    unsubscribeCount: (campaignId, since, until) => s.unsubscribes.between(campaignId, since, until),
    campaignState: (campaignId, runId) =>
      campaignState(io.client, campaignId, runId === undefined ? undefined : { runId, journeys: s.runs.journeys }),
    pauseCampaign: (campaignId) => controlCampaign(io.client, s.runs, campaignId, 'pause'),
    raiseAlert: alertRaiser(io.client, io.taskQueue),
    probeLog: () => s.log.probeAppend(),
    openSubjectRequests: () => openSubjectRequests(io.client, io.taskQueue),
    ...(url ? { alertWebhook: (a) => postAlert(url, key, a) } : {}),
    ...(contact ? { alertEmail: (a) => mailAlert(io.mailer, contact, a, io.policy.brand?.name) } : {}),
  };
}
