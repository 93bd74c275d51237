import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { ActivityDeps } from '../../activities/index.js';
import type { SendSpec } from '../../activities/send-pipeline.js';
import type { SubjectRef } from '../../domain/ids.js';
import { createServices } from '../../infra/compose.js';
import type { AppConfig } from '../../infra/config.js';
import { createSmsChannel } from '../../infra/sms/channel.js';
import { startSmppSink, type SmppSink } from '../../infra/sms/smpp-server.js';
import { createMailer } from '../../infra/smtp/transport.js';
import { policy } from '../../policy/index.js';
import { buildActivityDeps } from '../../worker.js';
import { consentEvent } from './engine.js';
import { exampleContent } from './example-workspace.js';
import { startedForFile } from './file-hooks.js';
import { uniqueId } from './services.js';

/** The SMS branch of the send path on the embedded SMSC over TCP, started before the file's tests. */
export interface SmsPath {
  readonly redis: Redis;
  readonly services: ReturnType<typeof createServices>;
  readonly smsc: SmppSink;
  /** The worker's activity deps with an SMS channel to the SMSC (mail reaches no server). */
  readonly deps: ActivityDeps;
  /** The same deps with no SMS transport configured. */
  readonly depsWithoutSms: ActivityDeps;
  /** A send step of a fresh campaign and workflow, for the CN promotions SMS template. */
  spec(): SendSpec;
  /** A subject with `phone` and the fields the template uses, holding SMS promotions consent. */
  seed(phone: string): Promise<SubjectRef>;
}

/**
 * Registers the file's before/after hooks on the Redis `redis.connect` gives (closed after with `redis.close`):
 * the services under the shipped policy, the embedded SMSC with its own outbox, an SMS channel to it and the
 * worker's activity deps (no Temporal client: the send path never calls it).
 */
export function smsPath(
  config: AppConfig,
  redis: { connect(): Promise<Redis>; close?(client: Redis): Promise<void> },
): SmsPath {
  const get = startedForFile(
    'the SMS path',
    async () => {
      const client = await redis.connect();
      const services = createServices(config, client, policy);
      const smsc = await startSmppSink({ outbox: join(config.dataDir, uniqueId('sms')) });
      const mailer = createMailer(config, 'smtp://127.0.0.1:1');
      const unused = { client: {} as Client, taskQueue: 'unused' };
      const sms = createSmsChannel(config, { smppUrl: smsc.url, redis: client, ...unused, services });
      const content = await exampleContent();
      const deps = buildActivityDeps(config, { redis: client, mailer, sms: sms.channel, ...unused, content });
      const depsWithoutSms = buildActivityDeps(config, { redis: client, mailer, ...unused, content });
      return { redis: client, services, smsc, sms, mailer, deps, depsWithoutSms };
    },
    async (started) => {
      await started.sms.close();
      started.mailer.close();
      await started.smsc.stop();
      await redis.close?.(started.redis);
    },
  );
  return {
    get redis() {
      return get().redis;
    },
    get services() {
      return get().services;
    },
    get smsc() {
      return get().smsc;
    },
    get deps() {
      return get().deps;
    },
    get depsWithoutSms() {
      return get().depsWithoutSms;
    },
    spec: () => ({
      campaignId: uniqueId('c'),
      campaignVersion: 'v',
      workflowId: uniqueId('wf'),
      runId: 'run',
      stepId: 'send-sms',
      purpose: 'marketing.sms.promotions',
      channel: 'sms',
      processor: 'sms-gateway',
      templateId: 'sms-cn-promo',
    }),
    async seed(phone) {
      const { services } = get();
      const r = await services.subjects.upsert(uniqueId('s'), { phone, first_name: '小红', preferred_store: '徐汇店' });
      if (r.status !== 'written') throw new Error('seed refused');
      await services.consent.append(consentEvent(r.ref, { purpose: 'marketing.sms.promotions', channel: 'sms' }));
      return r.ref;
    },
  };
}
