import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { ActivityDeps } from '../../activities/index.js';
import type { SendSpec } from '../../activities/send-pipeline.js';
import type { PolicyBundle } from '../../domain/policy.js';
import { createServices } from '../../infra/compose.js';
import { startSmtpSink, type SmtpSink } from '../../infra/smtp/sink.js';
import { createMailer, type Mailer } from '../../infra/smtp/transport.js';
import { policy as shipped } from '../../policy/index.js';
import { buildActivityDeps } from '../../worker.js';
import { testConfig } from './config.js';
import { exampleContent } from './example-workspace.js';
import { startedForFile } from './file-hooks.js';
import { testRedis, uniqueId } from './services.js';
import { consentEvent } from './engine.js';

/** The send path's activity deps on real Redis and a real SMTP sink, started before the file's tests. */
export interface SendPath {
  readonly redis: ReturnType<typeof testRedis>['redis'];
  /** The private key prefix the services write under. */
  readonly prefix: string;
  readonly config: ReturnType<typeof testConfig>;
  readonly services: ReturnType<typeof createServices>;
  readonly sink: SmtpSink;
  readonly mailer: Mailer;
  readonly deps: ActivityDeps;
}

/**
 * Registers the file's before/after hooks: a private key prefix, the services under `bundle`, an SMTP sink with
 * its own outbox and the worker's activity deps (no Temporal client: the send path never calls it).
 */
export function sendPath(label: string, bundle: PolicyBundle = shipped): SendPath {
  const { redis, prefix } = testRedis();
  const config = testConfig({ REDIS_KEY_PREFIX: prefix });
  const services = createServices(config, redis, bundle);
  const get = startedForFile(
    'the send path',
    async () => {
      const sink = await startSmtpSink({ outbox: join(config.dataDir, uniqueId(label)) });
      const mailer = createMailer(config, sink.url);
      const deps = buildActivityDeps(config, {
        redis,
        mailer,
        client: {} as Client,
        taskQueue: 'unused',
        content: await exampleContent(),
      });
      return { sink, mailer, deps };
    },
    async ({ mailer, sink }) => {
      mailer.close();
      await sink.stop();
    },
  );
  return {
    redis,
    prefix,
    config,
    services,
    get sink() {
      return get().sink;
    },
    get mailer() {
      return get().mailer;
    },
    get deps() {
      return get().deps;
    },
  };
}

/** A newsletter email step of a fresh workflow (run `run`), as the send-path tests drive it; `over` changes any part. */
export const newsletterSpec = (over: Partial<SendSpec> = {}): SendSpec => ({
  campaignId: uniqueId('c'),
  campaignVersion: 'v',
  workflowId: uniqueId('wf'),
  runId: 'run',
  stepId: 'send-1',
  purpose: 'marketing.email.newsletter',
  channel: 'email',
  processor: 'smtp-relay',
  templateId: 'welcome-1',
  ...over,
});

/** `n` subjects with an address and a first name, each consenting to the newsletter by email. */
export async function newsletterMembers(services: SendPath['services'], n: number) {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const address = `${uniqueId('p')}@example.org`;
      const r = await services.subjects.upsert(uniqueId('s'), { email: address, first_name: 'Ana' });
      if (r.status !== 'written') throw new Error(`subject not written: ${r.status}`);
      await services.consent.append(consentEvent(r.ref, { purpose: 'marketing.email.newsletter' }));
      return { ref: r.ref, address };
    }),
  );
}
