import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordConsent, startCampaign } from '../library.js';
import type { JourneyState } from '../workflows/signals.js';
import { eventually, useEngine } from './helpers/engine.js';
import { exampleWorkspace } from './helpers/example-workspace.js';
import { uniqueId } from './helpers/services.js';

const engine = useEngine();
const answer = {
  purpose: 'marketing.email.newsletter',
  channel: 'email',
  language: 'en',
  collectionPoint: 'signup',
  method: 'form',
  jurisdiction: 'EU',
  source: 'shop-backend',
};

test('a service records consent, starts a campaign for a subject, and a withdrawal through the library ends the journey', async () => {
  const subjectId = uniqueId('lib');
  const address = `${subjectId}@example.org`;
  await engine.services.subjects.upsert(subjectId, { email: address, first_name: 'Lia', timezone: 'UTC' });
  const granted = await recordConsent({ services: engine.services }, { ...answer, type: 'granted', subjectId });
  assert.ok(granted.ok);
  const ref = engine.services.pseudonymize(subjectId);
  const deps = {
    services: engine.services,
    client: engine.client,
    workspace: await exampleWorkspace(),
    taskQueue: engine.taskQueue,
  };
  const started = await startCampaign(deps, 'welcome-series', { subjectRefs: [ref] });
  assert.ok(started.ok);
  const res = started.start;
  assert.deepEqual(res, { kind: 'journeys', runId: res.runId, started: 1, existing: 0 });
  assert.match(res.runId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.match(started.bundle, /^[0-9a-f]{64}$/);
  await eventually(
    () => (engine.sink.received.some((m) => m.envelopeTo.includes(address)) ? true : undefined),
    30_000,
    'the welcome mail',
  );
  const withdrawn = await recordConsent(
    { services: engine.services, client: engine.client, taskQueue: engine.taskQueue },
    { ...answer, type: 'withdrawn', subjectId },
  );
  assert.ok(withdrawn.ok && withdrawn.propagation);
  const state = (await engine.client.workflow.getHandle(`journey:welcome-series:${ref}`).result()) as JourneyState;
  assert.equal(state.status, 'exited');
  assert.equal(state.exitReason, 'consent_withdrawn');
  assert.equal(engine.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 1);
});

test('startCampaign refuses a campaign the workspace does not have, as a value, starting nothing', async () => {
  const r = await startCampaign(
    {
      services: engine.services,
      client: engine.client,
      workspace: await exampleWorkspace(),
      taskQueue: engine.taskQueue,
    },
    'no-such-campaign',
  );
  assert.equal(r.ok, false);
  if (!r.ok)
    assert.match(
      r.reason === 'content' ? r.message : '',
      /no campaign "no-such-campaign"; campaigns: .*welcome-series/,
    );
});

test('recordConsent refuses an unknown purpose as a value, recording nothing', async () => {
  const subjectId = uniqueId('lib');
  const r = await recordConsent(
    { services: engine.services },
    { ...answer, purpose: 'marketing.carrier_pigeon', type: 'granted', subjectId },
  );
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.code, 'unknown_purpose');
  assert.deepEqual(await engine.services.consent.events(engine.services.pseudonymize(subjectId)), []);
});
