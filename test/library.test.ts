import assert from 'node:assert/strict';
import { test } from 'node:test';
import { welcomeSeries } from '../campaigns/welcome-series.js';
import { recordConsent, startCampaign } from '../library.js';
import type { JourneyState } from '../workflows/signals.js';
import { eventually, useEngine } from './helpers/engine.js';
import { uniqueId } from './helpers/services.js';

const engine = useEngine();
const answer = { purpose: 'marketing.email.newsletter', channel: 'email', language: 'en', collectionPoint: 'signup', method: 'form', jurisdiction: 'EU', source: 'shop-backend' };

test('a service records consent, starts a campaign for a subject, and a withdrawal through the library ends the journey', async () => {
  const subjectId = uniqueId('lib');
  const address = `${subjectId}@example.org`;
  await engine.services.subjects.upsert(subjectId, { email: address, first_name: 'Lia', timezone: 'UTC' });
  const granted = await recordConsent({ services: engine.services }, { ...answer, type: 'granted', subjectId });
  assert.ok(granted.ok);
  const ref = engine.services.pseudonymize(subjectId);
  const res = await startCampaign(engine.client, welcomeSeries, { subjectRefs: [ref] }, { taskQueue: engine.taskQueue, campaignVersion: 'lib', runs: engine.services.runs });
  assert.deepEqual(res, { kind: 'journeys', runId: res.runId, started: 1, existing: 0 });
  assert.match(res.runId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  await eventually(() => (engine.sink.received.some((m) => m.envelopeTo.includes(address)) ? true : undefined), 30_000, 'the welcome mail');
  const withdrawn = await recordConsent({ services: engine.services, client: engine.client, taskQueue: engine.taskQueue }, { ...answer, type: 'withdrawn', subjectId });
  assert.ok(withdrawn.ok && withdrawn.propagation);
  const state = (await engine.client.workflow.getHandle(`journey:welcome-series:${ref}`).result()) as JourneyState;
  assert.equal(state.status, 'exited');
  assert.equal(state.exitReason, 'consent_withdrawn');
  assert.equal(engine.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 1);
});

test('recordConsent refuses an unknown purpose as a value, recording nothing', async () => {
  const subjectId = uniqueId('lib');
  const r = await recordConsent({ services: engine.services }, { ...answer, purpose: 'marketing.carrier_pigeon', type: 'granted', subjectId });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.code, 'unknown_purpose');
  assert.deepEqual(await engine.services.consent.events(engine.services.pseudonymize(subjectId)), []);
});
