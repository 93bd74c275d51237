import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import type { PolicyBundle } from '../../domain/policy.js';
import type { SubjectRequestRecord } from '../../domain/subject-request.js';
import { createServices } from '../../infra/compose.js';
import { createMailer, type Mailer } from '../../infra/smtp/transport.js';
import { rightsStores } from '../../infra/subject-request-deps.js';
import { dataConverter } from '../../infra/temporal/connection.js';
import { installRuntime } from '../../infra/temporal/runtime.js';
import { policy } from '../../policy/index.js';
import { buildActivityDeps, workflowsPath } from '../../worker.js';
import type { SubjectRequestInput } from '../../workflows/subject-request.js';
import { testConfig } from '../helpers/config.js';
import { exampleContent } from '../helpers/example-workspace.js';
import { testRedis, uniqueId } from '../helpers/services.js';
import { startTimeSkipping, type TimeSkipping } from '../helpers/time-skipping.js';

// An undelivered access bundle is kept for the deployed policy's accessBundlesDays, the window the daily retention
// run applies too: days of durable timer on the time-skipping test server, with real Redis and bundle files.
installRuntime();
const { redis, prefix } = testRedis();
const config = testConfig({ REDIS_KEY_PREFIX: prefix });
const services = createServices(config, redis, policy);
const stores = rightsStores(config, redis);
let server: TimeSkipping | undefined;
let env: TestWorkflowEnvironment;
let mailer: Mailer;

before(async () => {
  const path = process.env.CF_TEST_TIME_SKIPPING_SERVER;
  if (!path) throw new Error('CF_TEST_TIME_SKIPPING_SERVER is not set: run through `npm test`');
  server = await startTimeSkipping(path, dataConverter(config));
  env = server.env;
  mailer = createMailer(config, 'smtp://127.0.0.1:1');
});
after(async () => {
  mailer.close();
  await server?.stop();
});

test("an undelivered access bundle is deleted when the deployed policy's accessBundlesDays end, not after a window of its own", async () => {
  // A deploy shortens the window from the shipped 30 days to 3; this file's key prefix keeps it to this test.
  const deployed: PolicyBundle = { ...policy, retention: { ...policy.retention, accessBundlesDays: 3 } };
  await services.bundles.setCurrentPolicy((await services.bundles.putPolicy(deployed)).version);
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
  const r = await services.subjects.upsert(uniqueId('s'), { email: `${uniqueId('b')}@example.org` });
  if (r.status !== 'written') return assert.fail('seed refused');
  const { done, timer } = await worker.runUntil(async () => {
    // Started directly: the test server has no custom search attributes, which startSubjectRequest sets.
    const id = uniqueId('dsar-access');
    const input: SubjectRequestInput = {
      v: 1,
      requestId: id,
      type: 'access',
      subjectRef: r.ref,
      receivedAt: new Date().toISOString(),
      deadlineDays: 15,
    };
    await env.client.workflow.start('subjectRequest', { taskQueue, workflowId: id, args: [input] });
    const record = (await env.client.workflow.getHandle(id).result()) as SubjectRequestRecord;
    const child = env.client.workflow.getHandle(`bundle-retention-${id}`);
    await child.result();
    return { done: record, timer: await child.describe() };
  });
  assert.equal(done.status, 'completed');
  const days = (Date.parse(done.bundleExpiresAt!) - Date.parse(done.completedAt!)) / 86_400_000;
  assert.ok(Math.abs(days - 3) < 0.01, `the record's expiry is 3 days after completion, not ${days}`);
  const kept = (timer.closeTime!.getTime() - timer.startTime.getTime()) / 86_400_000;
  assert.ok(kept >= 3 && kept < 3.5, `the bundle was kept ${kept} days of workflow time`);
  assert.equal(await stores.bundles.read(done.bundleId!), undefined, 'deleted');
  assert.deepEqual(
    (await stores.requests.auditTrail(r.ref)).map((t) => t.action),
    ['bundle_deleted:retention'],
  );
});
