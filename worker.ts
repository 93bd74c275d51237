import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';
import type { Client } from '@temporalio/client';
import type { TemplatePort } from './domain/template-port.js';
import { createServices } from './infra/compose.js';
import { EmailMessages } from './infra/redis/email-messages.js';
import { watchConnection } from './infra/redis/connection-watch.js';
import { connectRedis, redisRunId } from './infra/redis/connect.js';
import { cacheDir } from './infra/embedded/process.js';
import { prebuiltWorkflowBundle } from './infra/temporal/bundle.js';
import { journeyStarter } from './infra/temporal/journeys.js';
import { subjectRequestDeps } from './infra/subject-request-deps.js';
import { reviewDeps } from './infra/review-deps.js';
import { retentionDeps } from './infra/retention-deps.js';
import { monitorDeps } from './infra/monitor-deps.js';
import { createMonitorMetrics } from './infra/metrics/monitor-metrics.js';
import type { ProcessorNotifier } from './domain/propagation.js';
import { templatePort } from './infra/templates/port.js';
import { DeployedContent } from './infra/bundles/deployed-content.js';
import type { PolicyBundle } from './domain/policy.js';
import type { Segment } from './domain/segment.js';
import { failureLine } from './domain/load-result.js';
import type { Workspace } from './infra/workspace/load.js';
import type { Mailer } from './infra/smtp/transport.js';
import { connectClient, connectWorker, dataConverter } from './infra/temporal/connection.js';
import { createThreadedMailer } from './infra/smtp/threaded-mailer.js';
import type { AppConfig } from './infra/config.js';
import { createProcessMetrics, type ProcessMetrics } from './infra/metrics/provider.js';
import { createSendMetrics, instrumentSendPorts } from './infra/metrics/send-metrics.js';
import { serveMetrics } from './infra/metrics/server.js';
import type { SmsChannel } from './activities/send-sms.js';
import { createSmsChannel } from './infra/sms/channel.js';
import { senderOf } from './infra/sender.js';

/** Path of the workflow bundle entry, resolved next to this file. */
export const workflowsPath =
  [
    fileURLToPath(new URL('./workflows/index.ts', import.meta.url)),
    fileURLToPath(new URL('./workflows/index.js', import.meta.url)),
  ].find((f) => existsSync(f)) ?? fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

/** Composition root of a worker: config + infra → createActivities(deps) → Worker.create. */
export async function createWorker(opts: {
  config: AppConfig;
  connection: NativeConnection;
  deps: ActivityDeps;
  taskQueue?: string;
  namespace?: string;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? opts.config.namespace,
    taskQueue: opts.taskQueue ?? opts.config.taskQueue,
    workflowBundle: { codePath: prebuiltWorkflowBundle(join(cacheDir(), 'bundles')) },
    activities: createActivities(opts.deps),
    dataConverter: dataConverter(opts.config),
    maxConcurrentActivityTaskExecutions: 200,
  });
}

/** The workspace content a worker serves: the policy the guard applies, the segments and the templates. */
export interface WorkerContent {
  readonly policy: PolicyBundle;
  readonly segments: Readonly<Record<string, Segment>>;
  readonly templates: TemplatePort;
}

/** A workspace whose policy does not load cannot run a worker: with no policy every send would be unjudgeable. */
export class WorkspacePolicyError extends Error {
  override readonly name = 'WorkspacePolicyError';
}

/** The worker's content from a loaded workspace; throws WorkspacePolicyError (one line) when its policy failed. */
export function workerContent(ws: Workspace): WorkerContent {
  if (!ws.policy.ok)
    throw new WorkspacePolicyError(
      `the workspace policy does not load, so no worker starts: ${failureLine(ws.policy)}`,
    );
  return { policy: ws.policy.value, segments: ws.segments, templates: templatePort(ws.templates) };
}

/** Wires the real adapters into the activities' ports: the one place infra meets the send path. */
export function buildActivityDeps(
  config: AppConfig,
  io: {
    redis: Redis;
    mailer: Mailer;
    sms?: SmsChannel;
    client: Client;
    taskQueue: string;
    content: WorkerContent;
    notifier?: ProcessorNotifier;
  },
): ActivityDeps & { content: DeployedContent } {
  const s = createServices(config, io.redis, io.content.policy);
  const content = new DeployedContent(s.bundles, { policy: io.content.policy });
  const messages = new EmailMessages(io.redis, s.keys);
  return {
    content,
    policyAt: (version) => content.policyAt(version),
    mailer: io.mailer,
    ...(io.sms ? { sms: io.sms } : {}),
    loadGuardStates: (refs) => s.consent.loadGuardStates(refs),
    loadGuardStatesWith: (refs, extraKey, cap) => s.consent.loadGuardStatesWith(refs, extraKey, cap),
    readFields: (ref, fields) => s.subjects.readFields(ref, fields),
    readFieldsMany: (refs, fields) => s.subjects.readFieldsMany(refs, fields),
    openFields: (ref, fields, sealed) => s.subjects.openFields(ref, fields, sealed),
    suppressHardBounce: (ref) => s.consent.suppress(ref, 'hard_bounce', 'smtp'),
    messageIndex: (messageId, sent) =>
      messages.entry(messageId, { ref: sent.ref, decisionId: sent.decisionId, spec: sent.spec }),
    appendLog: (entries, opts) => s.log.appendBatch(entries, opts),
    ledger: s.ledger,
    templates: io.content.templates,
    policy: () => s.policy,
    tokens: s.tokens,
    publicUrl: config.publicUrl,
    sender: senderOf(io.content.policy, config),
    pageSubjects: (cursor, count) => s.subjects.pageSubjects(cursor, count),
    segments: io.content.segments,
    runs: s.runs,
    redisRunId: () => redisRunId(io.redis),
    startJourney: journeyStarter(io.client, io.taskQueue),
    ...subjectRequestDeps(config, s, { redis: io.redis, client: io.client, notifier: io.notifier }),
    ...reviewDeps(config, s, { redis: io.redis, client: io.client, taskQueue: io.taskQueue }),
    ...retentionDeps(config, s, { redis: io.redis, client: io.client }),
    ...monitorDeps(config, s, {
      redis: io.redis,
      client: io.client,
      taskQueue: io.taskQueue,
      mailer: io.mailer,
      policy: io.content.policy,
    }),
    now: () => new Date(),
  };
}

/** Where a worker finds its services. */
export interface WorkerEndpoints {
  readonly redisUrl: string;
  readonly temporalAddress: string;
  readonly smtpUrl: string;
  /** An SMPP gateway (or the embedded one); without it SMS sends fail closed as channel_transport_missing. */
  readonly smppUrl?: string;
}

/** A started worker and how to stop it and everything it opened. */
export interface RunningWorker {
  readonly worker: Worker;
  readonly done: Promise<void>;
  /** The worker's metrics, served at `CONSENTFLOW_METRICS_ADDR` when set. */
  readonly metrics: ProcessMetrics;
  readonly metricsUrl?: string;
  shutdown(): Promise<void>;
}

/** Opens the infra clients, builds the activity deps and starts polling; `shutdown()` drains and closes all of it. */
export async function startWorker(
  config: AppConfig,
  endpoints: WorkerEndpoints,
  opts: {
    content: WorkerContent;
    taskQueue?: string;
    notifier?: ProcessorNotifier;
    metrics?: ProcessMetrics;
    /** The activities' clock (tests inject one); the wall clock when absent. */
    now?: () => Date;
  },
): Promise<RunningWorker> {
  // Auto-pipelining batches the many small commands of a chunk into few socket writes.
  const redis = connectRedis(
    endpoints.redisUrl,
    { maxRetriesPerRequest: 3, commandTimeout: 5000, enableAutoPipelining: true },
    config.redisCluster,
  );
  watchConnection(redis, 'worker');
  const mailer = createThreadedMailer(config, endpoints.smtpUrl, { maxConnections: 10 });
  const connection = await connectWorker(endpoints.temporalAddress);
  const client = await connectClient(config, endpoints.temporalAddress);
  const taskQueue = opts.taskQueue ?? config.taskQueue;
  const metrics = opts.metrics ?? createProcessMetrics('consentflow-worker');
  const sms = endpoints.smppUrl
    ? createSmsChannel(config, {
        smppUrl: endpoints.smppUrl,
        redis,
        client,
        taskQueue,
        services: createServices(config, redis, opts.content.policy),
      })
    : undefined;
  const built = buildActivityDeps(config, {
    redis,
    mailer,
    sms: sms?.channel,
    client,
    taskQueue,
    content: opts.content,
    notifier: opts.notifier,
  });
  const plain = opts.now ? { ...built, now: opts.now } : built;
  // Decisions under the worker's own policy name its version, so its snapshot must be kept for review and replay.
  await plain.content.register();
  const monitorMetrics = createMonitorMetrics(metrics.meter);
  const deps = {
    ...instrumentSendPorts(plain, createSendMetrics(metrics.meter)),
    onMonitorPause: (campaign: string) => monitorMetrics.pauses.add(1, { campaign }),
  };
  const worker = await createWorker({ config, connection, deps, taskQueue });
  const server = config.env.CONSENTFLOW_METRICS_ADDR
    ? await serveMetrics(metrics, config.env.CONSENTFLOW_METRICS_ADDR)
    : undefined;
  const done = worker.run().finally(async () => {
    await server?.close();
    if (!opts.metrics) await metrics.shutdown();
    mailer.close();
    await sms?.close();
    await client.connection.close();
    await connection.close();
    await redis.quit().catch(() => redis.disconnect());
  });
  return {
    worker,
    done,
    metrics,
    ...(server ? { metricsUrl: server.url } : {}),
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
