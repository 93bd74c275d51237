import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PolicyBundle } from '../../domain/policy.js';
import type { SubjectRequestRecord } from '../../domain/subject-request.js';
import { rightsStores } from '../../infra/subject-request-deps.js';
import { policy } from '../../policy/index.js';
import type { SubjectRequestInput } from '../../workflows/subject-request.js';
import { uniqueId } from '../helpers/services.js';
import { timeSkippingWorld } from '../helpers/time-skipping-worker.js';

// An undelivered access bundle is kept for the deployed policy's accessBundlesDays, the window the daily retention
// run applies too: days of durable timer on the time-skipping test server, with real Redis and bundle files. Its
// mail reaches no server, so the bundle stays undelivered.
const world = timeSkippingWorld('unreachable');
const { config, redis, services } = world;
const stores = rightsStores(config, redis);

test("an undelivered access bundle is deleted when the deployed policy's accessBundlesDays end, not after a window of its own", async () => {
  // A deploy shortens the window from the shipped 30 days to 3; this file's key prefix keeps it to this test.
  const deployed: PolicyBundle = { ...policy, retention: { ...policy.retention, accessBundlesDays: 3 } };
  await services.bundles.setCurrentPolicy((await services.bundles.putPolicy(deployed)).version);
  const { worker, taskQueue } = await world.worker();
  const env = world.env;
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
