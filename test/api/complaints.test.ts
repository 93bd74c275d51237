import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auth, useApi } from '../helpers/api.js';
import { useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';
import { complaintsOf, sample, sendOne } from '../infra/complaints/complaints-helpers.js';

const engine = useEngine();
const api = useApi(engine);
const json = { 'content-type': 'application/json' };
type Err = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };

const post = (payload: unknown, role: 'marketer' | 'admin' | 'reviewer' | null = 'marketer') =>
  api.app.inject({
    method: 'POST',
    url: '/v1/complaints',
    headers: { ...json, ...(role ? auth(role) : {}) },
    payload: JSON.stringify(payload),
  });

test('POST /v1/complaints with our Message-ID suppresses the subject, logs a webhook complaint, counts it; a repeat is 200 duplicate; the next send is denied suppressed', async () => {
  const address = `${uniqueId('hook')}@example.org`;
  const ref = await engine.seed(uniqueId('s'), { email: address, first_name: 'Hana' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const sent = await sendOne(engine, ref, address);
  assert.ok(sent.raw.length > 0, 'the first message was sent');

  const res = await post({ messageId: sent.messageId, feedbackType: 'abuse', receivedAt: '2026-11-29T10:00:00Z' });
  assert.equal(res.statusCode, 202, res.body);
  assert.deepEqual(res.json(), {
    status: 'recorded',
    subjectRef: ref,
    campaignId: sent.campaignId,
    entryId: res.json().entryId,
  });
  const [entry, ...more] = await complaintsOf(engine, ref);
  assert.equal(more.length, 0);
  assert.deepEqual(
    [entry!.campaignId, entry!.runId, entry!.stepId, entry!.messageId, entry!.result],
    [
      sent.campaignId,
      sent.runId,
      'send-1',
      sent.messageId,
      'source=webhook feedback=abuse received=2026-11-29T10:00:00.000Z actor=test-marketer',
    ],
  );
  assert.deepEqual(
    (await engine.services.consent.suppressions(ref)).map((s) => [s.kind, s.source]),
    [['complaint', 'complaint:webhook']],
  );

  const again = await post({ messageId: sent.messageId }, 'admin');
  assert.equal(again.statusCode, 200);
  assert.equal(again.json().status, 'duplicate');
  assert.equal((await complaintsOf(engine, ref)).length, 1);
  const metrics = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.equal(sample(metrics, 'consentflow_complaints_total', 'source="webhook"'), 1);
  assert.equal(
    sample(metrics, 'consentflow_complaint_reports_ignored_total', 'source="webhook",reason="duplicate"'),
    1,
  );

  const next = await sendOne(engine, ref, address);
  assert.equal(next.raw.length, 0, 'no second message');
  const decisions = [];
  for await (const e of engine.services.log.query({ subjectRef: ref, campaignId: next.campaignId, kind: 'decision' }))
    decisions.push(e);
  assert.deepEqual(
    decisions.map((d) => [d.outcome, d.reasons.includes('suppressed')]),
    [['deny', true]],
  );
});

test('an unknown Message-ID is 200 unmatched and a not-spam report 200 not_a_complaint; neither changes anything', async () => {
  const unknown = await post({ messageId: '<ffffffffffffffffffffffffffffffff@shop.example>' });
  assert.equal(unknown.statusCode, 200);
  assert.deepEqual(unknown.json(), { status: 'unmatched' });
  const address = `${uniqueId('ns')}@example.org`;
  const ref = await engine.seed(uniqueId('s'), { email: address, first_name: 'Nora' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const sent = await sendOne(engine, ref, address);
  const notSpam = await post({ messageId: sent.messageId, feedbackType: 'not-spam' });
  assert.deepEqual([notSpam.statusCode, notSpam.json()], [200, { status: 'not_a_complaint' }]);
  assert.deepEqual(await engine.services.consent.suppressions(ref), []);
  assert.deepEqual(await complaintsOf(engine, ref), []);
});

test('bad bodies are 400 naming the field, a future receivedAt is 409, and only marketer or admin keys may post', async () => {
  const cases: Array<[unknown, string]> = [
    [{ messageId: 'abc@shop.example' }, 'body.messageId'],
    [{}, 'body.messageId'],
    [{ messageId: '<a@b>', feedbackType: 'spam' }, 'body.feedbackType'],
    [{ messageId: '<a@b>', receivedAt: 'yesterday' }, 'body.receivedAt'],
    [{ messageId: '<a@b>', email: 'x@example.org' }, 'body'],
  ];
  for (const [payload, path] of cases) {
    const res = await post(payload);
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.ok(
      (res.json() as Err).error.issues?.some((i) => i.path.startsWith(path)),
      `${JSON.stringify(payload)}: ${res.body}`,
    );
  }
  const future = await post({ messageId: '<a@b>', receivedAt: '2099-01-01T00:00:00Z' });
  assert.deepEqual([future.statusCode, (future.json() as Err).error.code], [409, 'time_in_future']);
  assert.equal((await post({ messageId: '<a@b>' }, 'reviewer')).statusCode, 403);
  assert.equal((await post({ messageId: '<a@b>' }, null)).statusCode, 401);
});

test('the route is in the OpenAPI document with its body schema and both success codes', async () => {
  const doc = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, { post?: { responses: Record<string, unknown>; requestBody?: unknown } }>;
  };
  const op = doc.paths['/v1/complaints']?.post;
  assert.ok(op?.requestBody, 'request body documented');
  assert.ok(op.responses['202'] && op.responses['200'] && op.responses['400']);
});
