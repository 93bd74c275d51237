import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { welcomeSeries } from '../../campaigns/welcome-series.js';
import { createMailer, type Mailer } from '../../infra/smtp/transport.js';
import { startSmtpSink, type SmtpSink } from '../../infra/smtp/sink.js';
import { dataConverter } from '../../infra/temporal/connection.js';
import { installRuntime } from '../../infra/temporal/runtime.js';
import { buildActivityDeps, workflowsPath } from '../../worker.js';
import { createActivities } from '../../activities/index.js';
import type { JourneyState } from '../../workflows/signals.js';
import { testConfig } from '../helpers/config.js';
import { startTimeSkipping, type TimeSkipping } from '../helpers/time-skipping.js';
import { exampleContent } from '../helpers/example-workspace.js';
import { policy } from '../../policy/index.js';
import { consentEvent } from '../helpers/engine.js';
import { testRedis, uniqueId } from '../helpers/services.js';
import { createServices } from '../../infra/compose.js';

// The real welcome series (3 days, then 4 days, with daytime windows) on the Java time-skipping test server:
// a week of durable timers runs in seconds, against real Redis and real SMTP.
installRuntime();
const { redis, prefix } = testRedis();
const config = testConfig({ REDIS_KEY_PREFIX: prefix });
const services = createServices(config, redis, policy);
let env: TestWorkflowEnvironment;
let server: TimeSkipping | undefined;
let sink: SmtpSink;
let mailer: Mailer;

before(async () => {
  const path = process.env.CF_TEST_TIME_SKIPPING_SERVER;
  if (!path) throw new Error('CF_TEST_TIME_SKIPPING_SERVER is not set: run through `npm test`');
  server = await startTimeSkipping(path, dataConverter(config));
  env = server.env;
  sink = await startSmtpSink({ outbox: join(config.dataDir, uniqueId('ts-outbox')) });
  mailer = createMailer(config, sink.url);
});
after(async () => {
  mailer.close();
  await sink.stop();
  await server?.stop();
});

test('the week-long welcome series runs in seconds under time skipping, keeping its waits and daytime windows', async () => {
  const taskQueue = uniqueId('tq');
  const deps = buildActivityDeps(config, {
    redis,
    mailer,
    client: env.client,
    taskQueue,
    content: await exampleContent(),
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath,
    activities: createActivities(deps),
    dataConverter: dataConverter(config),
  });
  const address = `${uniqueId('week')}@example.org`;
  const res = await services.subjects.upsert(uniqueId('s'), {
    email: address,
    first_name: 'Wren',
    timezone: 'Asia/Shanghai',
  });
  assert.equal(res.status, 'written');
  if (res.status !== 'written') return;
  await services.consent.append(consentEvent(res.ref, { purpose: 'marketing.email.newsletter' }));
  const campaign = welcomeSeries;
  const wall = Date.now();
  const result = (await worker.runUntil(
    env.client.workflow.execute('journey', {
      taskQueue,
      workflowId: `journey:${campaign.id}:${res.ref}`,
      args: [{ v: 1, campaign, campaignVersion: 'ts', subjectRef: res.ref }],
    }),
  )) as JourneyState;
  assert.ok(Date.now() - wall < 60_000, 'a week of timers took under a minute of wall time');
  assert.equal(result.status, 'completed');
  const sends = result.history.filter((h) => h.type === 'send');
  assert.deepEqual(
    sends.map((h) => h.outcome),
    ['sent', 'sent', 'sent'],
  );
  const at = (id: string) => Date.parse(result.history.find((h) => h.stepId === id)!.at);
  assert.ok(at('send-story') - at('send-welcome') >= 3 * 86_400_000, 'story mail at least 3 days after the welcome');
  assert.ok(
    at('send-preferences') - at('send-story') >= 4 * 86_400_000,
    'preferences mail at least 4 days after the story',
  );
  for (const id of ['send-story', 'send-preferences']) {
    const hour = Number(
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', hourCycle: 'h23' }).format(
        new Date(at(id)),
      ),
    );
    assert.ok(hour >= 9 && hour < 20, `${id} went out in Shanghai daytime (hour ${hour})`);
  }
  assert.equal(sink.received.filter((m) => m.envelopeTo.includes(address)).length, 3);
});
