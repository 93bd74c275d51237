import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { createSubjectRequestActivities } from '../../activities/subject-request.js';
import type { ActivityDeps } from '../../activities/index.js';
import type { PolicyBundle } from '../../domain/policy.js';
import { createServices } from '../../infra/compose.js';
import { rightsStores } from '../../infra/subject-request-deps.js';
import { createMailer, type Mailer } from '../../infra/smtp/transport.js';
import { policy } from '../../policy/index.js';
import { buildActivityDeps } from '../../worker.js';
import { testConfig } from '../helpers/config.js';
import { exampleContent } from '../helpers/example-workspace.js';
import { testRedis, uniqueId } from '../helpers/services.js';
import type { AlertInput } from '../../domain/alert.js';

// Subject-request and propagation activities on real Redis and the real bundle files, with an injected clock and a
// deployed policy that differs from the worker's own.
const { redis, prefix } = testRedis();
const config = testConfig({ REDIS_KEY_PREFIX: prefix });
const services = createServices(config, redis, policy);
const stores = rightsStores(config, redis);
const frozen = new Date('2031-05-06T07:08:09.000Z');
let mailer: Mailer;
let deps: ActivityDeps;
// The alert a failed propagation raises, kept here instead of started as a workflow (no Temporal in this file).
const alerts: AlertInput[] = [];

before(async () => {
  mailer = createMailer(config, 'smtp://127.0.0.1:1');
  deps = {
    ...buildActivityDeps(config, {
      redis,
      mailer,
      client: {} as Client,
      taskQueue: 'unused',
      content: await exampleContent(),
    }),
    now: () => frozen,
    raiseAlert: async (a) => {
      alerts.push(a);
      return 'raised';
    },
  };
});
after(() => mailer.close());

async function subject() {
  const id = uniqueId('s');
  const r = await services.subjects.upsert(id, {
    email: `${id}@example.org`,
    first_name: 'Noor',
    postal_code: '10115',
  });
  if (r.status !== 'written') throw new Error('seed refused');
  return { id, ref: r.ref };
}

test('access, correction, erasure and propagation stamp the injected clock, not the wall clock', async () => {
  const acts = createSubjectRequestActivities(deps);
  const { id, ref } = await subject();
  const access = uniqueId('req');
  const out = await acts.exportAccessBundle({ requestId: access, subjectRef: ref });
  assert.equal(out.status === 'completed' && out.bundleId, access);
  assert.equal(
    ((await stores.bundles.read(access))?.bundle as { generatedAt: string }).generatedAt,
    frozen.toISOString(),
  );
  const correct = uniqueId('req');
  await stores.requests.stageCorrections(correct, { subjectId: id, fields: { first_name: 'Nour' } });
  assert.deepEqual(await acts.applyCorrections({ requestId: correct, subjectRef: ref }), {
    status: 'completed',
    fieldsCorrected: ['first_name'],
  });
  await acts.markPropagationFailed({
    subjectRef: ref,
    changeId: correct,
    kind: 'corrected',
    processor: 'crm',
    error: 'gone',
  });
  assert.deepEqual(
    alerts.map((a) => [a.kind, a.at]),
    [['propagation_overdue', frozen.toISOString()]],
  );
  await acts.eraseSubject({ requestId: uniqueId('req'), subjectRef: ref });
  const trail = await stores.requests.auditTrail(ref);
  assert.deepEqual(
    trail.map((a) => a.action),
    ['corrected', 'bundle_deleted:erasure', 'erased'],
  );
  assert.ok(
    trail.every((a) => a.at === frozen.toISOString()),
    JSON.stringify(trail),
  );
  assert.deepEqual(
    (await stores.propagation.list(ref)).map((p) => [p.status, p.updatedAt]),
    [['failed', frozen.toISOString()]],
  );
});

test('a correction is checked against the deployed policy of record: a field the deploy removed is refused, though the worker started with it', async () => {
  const { id, ref } = await subject();
  const requestId = uniqueId('req');
  await stores.requests.stageCorrections(requestId, { subjectId: id, fields: { postal_code: '10117' } });
  const acts = createSubjectRequestActivities(deps);
  const deployed: PolicyBundle = {
    ...policy,
    subjectFields: policy.subjectFields.filter((f) => f.name !== 'postal_code'),
  };
  // The prefix is this file's own, so the current policy set here is seen by no other test.
  const { version } = await services.bundles.putPolicy(deployed);
  await services.bundles.setCurrentPolicy(version);
  try {
    await assert.rejects(
      acts.applyCorrections({ requestId, subjectRef: ref }),
      (e: unknown) =>
        e instanceof ApplicationFailure && e.type === 'InvalidCorrectionFailure' && /postal_code/.test(e.message),
    );
    assert.deepEqual(
      await services.subjects.readFields(ref, ['postal_code']),
      { status: 'found', fields: { postal_code: '10115' } },
      'nothing written',
    );
  } finally {
    await services.bundles.setCurrentPolicy((await services.bundles.putPolicy(policy)).version);
  }
  assert.deepEqual(
    await acts.applyCorrections({ requestId, subjectRef: ref }),
    { status: 'completed', fieldsCorrected: ['postal_code'] },
    'accepted under a policy of record that has the field',
  );
});
