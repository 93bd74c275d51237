import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { testConfig } from '../helpers/config.js';
import { testRedis, testTemporal, uniqueId } from '../helpers/services.js';
import { startSmtpSink, type SmtpSink } from '../../infra/smtp/sink.js';
import { createMailer, type Mailer } from '../../infra/smtp/transport.js';
import { connectClient, connectWorker, dataConverter } from '../../infra/temporal/connection.js';
import { installRuntime } from '../../infra/temporal/runtime.js';
import { createConnectivityActivities } from '../fixtures/smoke/activities.js';

// The foundation smoke test: one workflow, one activity, real Temporal, Redis and SMTP, and the payload codec.
installRuntime();
const { redis, prefix } = testRedis();
const tq = testTemporal();
const config = testConfig({ REDIS_KEY_PREFIX: prefix });
let sink: SmtpSink;
let mailer: Mailer;
let worker: Worker;
let running: Promise<void>;
let client: Client;

before(async () => {
  sink = await startSmtpSink({ outbox: join(config.dataDir, uniqueId('outbox')) });
  mailer = createMailer(config, sink.url);
  worker = await Worker.create({
    connection: await connectWorker(tq.address),
    taskQueue: tq.taskQueue,
    workflowsPath: fileURLToPath(new URL('../fixtures/smoke/workflows.ts', import.meta.url)),
    activities: createConnectivityActivities({ redis, keyPrefix: prefix, mailer }),
    dataConverter: dataConverter(config),
  });
  running = worker.run();
  client = await connectClient(config, tq.address);
});

after(async () => {
  worker.shutdown();
  await running;
  mailer.close();
  await sink.stop();
  await client.connection.close();
});

test('a workflow runs an activity that writes to Redis and delivers a real email over SMTP', async () => {
  const workflowId = uniqueId('check');
  const result = await client.workflow.execute('connectivityCheck', {
    taskQueue: tq.taskQueue,
    workflowId,
    args: [{ to: 'ada.lovelace@example.org', subject: 'hello from the smoke test' }],
  });
  assert.equal(result.redisKey, `${prefix}check:${workflowId}`);
  const marker = JSON.parse((await redis.get(result.redisKey)) ?? 'null') as { runId: string } | null;
  assert.ok(marker?.runId, 'the activity stored its marker in Redis');
  const msg = sink.received.find((m) => m.envelopeTo.includes('ada.lovelace@example.org'));
  assert.ok(msg, 'the SMTP sink received the message');
  const eml = readFileSync(msg.file, 'utf8');
  assert.match(eml, /Subject: hello from the smoke test/);
  assert.ok(eml.includes(result.messageId.replace(/[<>]/g, '')), 'the .eml carries the message id nodemailer reported');
});

test('the server history holds no plaintext of the workflow input or result (payload codec)', async () => {
  const workflowId = uniqueId('codec');
  const email = 'grace.hopper.codec@example.org';
  await client.workflow.execute('connectivityCheck', {
    taskQueue: tq.taskQueue,
    workflowId,
    args: [{ to: email, subject: 'codec check' }],
  });
  const res = await client.connection.workflowService.getWorkflowExecutionHistory({
    namespace: tq.namespace,
    execution: { workflowId },
  });
  const events = res.history?.events ?? [];
  assert.ok(events.length >= 5, 'the history has the workflow and activity events');
  const raw = Buffer.from(JSON.stringify(events));
  const bytes = Buffer.concat(
    events.flatMap((e) =>
      [
        ...(e.workflowExecutionStartedEventAttributes?.input?.payloads ?? []),
        ...(e.activityTaskScheduledEventAttributes?.input?.payloads ?? []),
        ...(e.workflowExecutionCompletedEventAttributes?.result?.payloads ?? []),
      ].map((p) => Buffer.from(p.data ?? new Uint8Array())),
    ),
  );
  assert.ok(bytes.length > 0, 'payload bytes were found to inspect');
  for (const hay of [raw, bytes]) {
    assert.equal(hay.includes(email), false, 'email address must not appear in plaintext');
    assert.equal(hay.includes('codec check'), false, 'subject must not appear in plaintext');
  }
  const started = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  assert.equal(Buffer.from(started?.metadata?.encoding ?? new Uint8Array()).toString(), 'binary/encrypted');
});
