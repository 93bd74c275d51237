import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ProcessMetrics } from '../../infra/metrics/provider.js';
import { ulid } from 'ulid';
import type { ConsentEvent, ConsentEventType } from '../../domain/consent.js';
import { buildConsentEvent } from '../../domain/consent-record.js';
import type { SubjectRef } from '../../domain/ids.js';
import { policy } from '../../policy/index.js';
import type { TemplatePort } from '../../activities/send-pipeline.js';
import { createServices, type Services } from '../../infra/compose.js';
import { startSmtpSink, type SmtpSink } from '../../infra/smtp/sink.js';
import { startSmppSink, type SmppSink } from '../../infra/sms/smpp-server.js';
import { connectClient } from '../../infra/temporal/connection.js';
import { installRuntime } from '../../infra/temporal/runtime.js';
import { startWorker, type RunningWorker } from '../../worker.js';
import type { AppConfig } from '../../infra/config.js';
import type { ProcessorNotifier } from '../../domain/propagation.js';
import { testConfig } from './config.js';
import { exampleContent } from './example-workspace.js';
import { testRedis, testTemporal, uniqueId } from './services.js';

/** A consent answer to seed: defaults to a grant under the notice in force. */
export interface SeedConsent {
  readonly purpose: string;
  readonly channel?: string;
  readonly type?: ConsentEventType;
  readonly noticeVersion?: number;
  readonly pending?: boolean;
  /** The notice language the subject read (default en) and their jurisdiction (default EU). */
  readonly language?: string;
  readonly jurisdiction?: string;
}

/** Builds a valid consent event for tests, through the same builder the CLI, API and library use. */
export function consentEvent(ref: SubjectRef, c: SeedConsent, now = new Date()): ConsentEvent {
  const r = buildConsentEvent(
    {
      type: c.type ?? 'granted',
      subjectRef: ref,
      purpose: c.purpose,
      channel: c.channel ?? 'email',
      noticeVersion: c.noticeVersion,
      language: c.language ?? 'en',
      collectionPoint: 'test',
      method: 'api',
      jurisdiction: c.jurisdiction ?? 'EU',
      source: 'test',
      pending: c.pending,
    },
    policy,
    now,
    ulid(now.getTime()),
  );
  if (!r.ok) throw new Error(`test consent event: ${r.message}`);
  return r.event;
}

/** A real worker, SMTP sink and client on the run's Temporal and Redis, isolated by task queue and key prefix. */
export interface Engine {
  readonly config: AppConfig;
  readonly services: Services;
  readonly sink: SmtpSink;
  /** The embedded SMSC, when the engine was started with `sms: true`. */
  readonly smsc: SmppSink;
  readonly client: Client;
  readonly taskQueue: string;
  /** The worker's metrics. */
  readonly metrics: ProcessMetrics;
  seed(subjectId: string, fields: Record<string, string>, consents?: readonly SeedConsent[]): Promise<SubjectRef>;
}

/** Starts the engine before the file's tests and stops it after; `templates` swaps the template port. */
export function useEngine(
  opts: { templates?: TemplatePort; env?: Record<string, string>; notifier?: ProcessorNotifier; sms?: boolean } = {},
): Engine {
  installRuntime();
  const { redis, prefix, url } = testRedis();
  const tq = testTemporal();
  const config = testConfig({
    REDIS_KEY_PREFIX: prefix,
    CONSENTFLOW_PUBLIC_URL: 'https://prefs.shop.example',
    ...opts.env,
  });
  const services = createServices(config, redis, policy);
  const engine = { config, services, taskQueue: tq.taskQueue } as Engine & {
    sink: SmtpSink;
    smsc: SmppSink;
    client: Client;
    metrics: ProcessMetrics;
  };
  let worker: RunningWorker;
  before(async () => {
    engine.sink = await startSmtpSink({ outbox: join(config.dataDir, uniqueId('outbox')) });
    if (opts.sms)
      engine.smsc = await startSmppSink({
        outbox: join(config.dataDir, uniqueId('sms-outbox')),
        credentials: { systemId: 'consentflow', password: 'test-secret' },
      });
    const smppUrl = opts.sms ? engine.smsc.url : undefined;
    worker = await startWorker(
      config,
      { redisUrl: url, temporalAddress: tq.address, smtpUrl: engine.sink.url, ...(smppUrl ? { smppUrl } : {}) },
      { content: await exampleContent(opts.templates), taskQueue: tq.taskQueue, notifier: opts.notifier },
    );
    engine.client = await connectClient(config, tq.address);
    engine.metrics = worker.metrics;
  });
  after(async () => {
    await worker.shutdown();
    await engine.client.connection.close();
    await engine.sink.stop();
    if (opts.sms) await engine.smsc.stop();
  });
  engine.seed = async (subjectId, fields, consents = []) => {
    const res = await services.subjects.upsert(subjectId, fields);
    if (res.status !== 'written') throw new Error(`seed refused: ${res.reason}`);
    for (const c of consents) await services.consent.append(consentEvent(res.ref, c));
    return res.ref;
  };
  return engine;
}

/** Polls until `fn` returns a value that is not undefined, or fails after `ms`. */
export async function eventually<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The workflow's result once it has ended; fails, instead of waiting for ever, if it still runs after `ms`. */
export async function ended<T>(handle: WorkflowHandle, what = 'the workflow', ms = 30_000): Promise<T> {
  await eventually(
    async () => ((await handle.describe()).status.name === 'RUNNING' ? undefined : true),
    ms,
    `${what} to end`,
  );
  return (await handle.result()) as T;
}

/** The activity types the workflow has scheduled so far, in order, from its history. */
export async function scheduledActivities(handle: WorkflowHandle): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
}
