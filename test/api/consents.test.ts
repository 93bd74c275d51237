import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse as parseForm } from 'node:querystring';
import { validate } from '@readme/openapi-parser';
import { useEngine } from '../helpers/engine.js';
import { auth, useApi } from '../helpers/api.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();
const api = useApi(engine);

const grant = (over: Record<string, unknown> = {}) => ({
  subjectId: uniqueId('s'),
  action: 'grant',
  purpose: 'marketing.email.newsletter',
  channel: 'email',
  language: 'en',
  collectionPoint: 'signup-form',
  jurisdiction: 'EU',
  method: 'form',
  ...over,
});
const post = (
  body: unknown,
  role: 'admin' | 'marketer' | 'reviewer' = 'marketer',
  headers: Record<string, string> = {},
) =>
  api.app.inject({
    method: 'POST',
    url: '/v1/consents',
    headers: { ...auth(role), 'user-agent': `Mozilla/5.0 ${'x'.repeat(600)}`, ...headers },
    payload: body as object,
  });
type Err = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };

test('the OpenAPI document is served at /openapi.json and validates', async () => {
  const res = await api.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json() as { openapi: string; paths: Record<string, unknown> };
  assert.equal(doc.openapi, '3.0.3');
  for (const p of [
    '/v1/consents',
    '/v1/subjects/{id}/consents',
    '/preferences/{token}',
    '/u/{token}',
    '/why/{token}',
    '/confirm/{token}',
    '/v1/subject-requests',
    '/v1/subject-requests/{id}',
    '/v1/log',
    '/v1/subjects/{id}/propagation',
  ])
    assert.ok(doc.paths[p], `documents ${p}`);
  const r = await validate(structuredClone(doc) as never);
  assert.equal(r.valid, true, r.valid ? '' : JSON.stringify(r.errors));
});

test('POST /v1/consents records a grant with evidence: hashed IP, truncated user agent, notice in force', async () => {
  const body = grant();
  const res = await post(body);
  assert.equal(res.statusCode, 201, res.body);
  const { event } = res.json() as {
    event: Record<string, unknown> & { evidence: { ipHash: string; userAgent: string } };
  };
  assert.equal(event.type, 'granted');
  assert.equal(event.noticeVersion, 3);
  assert.equal(event.collectionPoint, 'signup-form');
  assert.equal(event.source, 'api:test-marketer');
  assert.match(event.evidence.ipHash, /^ip1_/);
  assert.ok(!JSON.stringify(event).includes('127.0.0.1'), 'the raw IP is never stored');
  assert.equal(event.evidence.userAgent.length, 256);
  const shown = await api.app.inject({
    method: 'GET',
    url: `/v1/subjects/${body.subjectId}/consents`,
    headers: auth('admin'),
  });
  assert.equal(shown.statusCode, 200);
  const view = shown.json() as { current: unknown[]; history: unknown[]; erased: boolean };
  assert.equal(view.current.length, 1);
  assert.equal(view.history.length, 1);
  assert.equal(view.erased, false);
});

test('a withdrawal is recorded and starts propagation', async () => {
  const body = grant();
  await post(body);
  const res = await post({ ...body, action: 'withdraw' });
  assert.equal(res.statusCode, 201);
  const r = res.json() as { event: { type: string; id: string }; propagationId: string };
  assert.equal(r.event.type, 'withdrawn');
  assert.equal(r.propagationId, `propagation-${r.event.id}`);
});

test('bad bodies get 400 with the zod path of every problem', async () => {
  const cases: [unknown, string, RegExp][] = [
    [grant({ subjectId: 42 }), 'body.subjectId', /expected string/],
    [grant({ action: 'maybe' }), 'body.action', /grant|withdraw/],
    [grant({ noticeVersion: 'three' }), 'body.noticeVersion', /published versions: 1, 2, 3/],
    [grant({ doubleOptIn: 'yes' }), 'body.doubleOptIn', /expected boolean/],
    [grant({ collectionPoint: 'x'.repeat(201) }), 'body.collectionPoint', /200/],
    [grant({ method: 'carrier_pigeon' }), 'body.method', /invalid option/i],
    [grant({ favouriteColour: 'blue' }), 'body.favouriteColour', /unknown field/],
    [{ ...grant(), purpose: undefined }, 'body.purpose', /must be a purpose in the policy/],
    [{ ...grant(), jurisdiction: undefined }, 'body.jurisdiction', /expected string/],
  ];
  for (const [body, path, message] of cases) {
    const res = await post(body);
    assert.equal(res.statusCode, 400, path);
    const e = (res.json() as Err).error;
    assert.equal(e.code, 'invalid_request');
    const issue = e.issues?.find((i) => i.path === path);
    assert.ok(issue, `${path} named in ${JSON.stringify(e.issues)}`);
    assert.match(issue.message, message);
  }
});

test('policy refusals name the field: unknown purpose, channel not allowed, unknown notice version, bad language', async () => {
  const cases: [Record<string, unknown>, string, string, RegExp][] = [
    // The schema is built from the policy, so these are validation errors naming the field (and the document says so).
    [
      { purpose: 'marketing.nope' },
      'invalid_request',
      'body.purpose',
      /must be a purpose in the policy: .*marketing\.email\.newsletter/,
    ],
    [
      { channel: 'sms' },
      'invalid_request',
      'body.channel',
      /is not allowed for marketing\.email\.newsletter; it uses: email/,
    ],
    [{ noticeVersion: 9 }, 'invalid_request', 'body.noticeVersion', /published versions: 1, 2, 3/],
    [{ language: 'xx' }, 'invalid_request', 'body.language', /has no published privacy notice; languages: en, zh-CN/],
    [{ jurisdiction: 'europe' }, 'invalid_request', 'body.jurisdiction', /must look like/],
    [{ action: 'withdraw', doubleOptIn: true }, 'invalid_request', 'body.doubleOptIn', /grants only/],
  ];
  for (const [over, code, path, message] of cases) {
    const res = await post(grant(over));
    assert.equal(res.statusCode, 400, code);
    const e = (res.json() as Err).error;
    assert.equal(e.code, code);
    assert.equal(e.issues?.[0]?.path, path);
    assert.match(e.message, message);
  }
});

test('oversized and malformed bodies are refused with stable codes', async () => {
  const big = await post(grant({ collectionPoint: 'x'.repeat(20_000) }));
  assert.equal(big.statusCode, 413);
  assert.equal((big.json() as Err).error.code, 'body_too_large');
  const broken = await api.app.inject({
    method: 'POST',
    url: '/v1/consents',
    headers: { ...auth('marketer'), 'content-type': 'application/json' },
    payload: '{"subjectId":',
  });
  assert.equal(broken.statusCode, 400);
  assert.equal((broken.json() as Err).error.code, 'malformed_body');
  const text = await api.app.inject({
    method: 'POST',
    url: '/v1/consents',
    headers: { ...auth('marketer'), 'content-type': 'application/xml' },
    payload: '<grant/>',
  });
  assert.equal(text.statusCode, 415);
});

test('API keys: none is 401, a wrong key is 401, and a reviewer can neither record consent nor read a profile', async () => {
  const none = await api.app.inject({ method: 'POST', url: '/v1/consents', payload: grant() });
  assert.equal(none.statusCode, 401);
  assert.match((none.json() as Err).error.message, /Authorization: Bearer/);
  const wrong = await api.app.inject({
    method: 'POST',
    url: '/v1/consents',
    headers: { authorization: 'Bearer not-a-key' },
    payload: grant(),
  });
  assert.equal(wrong.statusCode, 401);
  const body = grant();
  const asReviewer = await post(body, 'reviewer');
  assert.equal(asReviewer.statusCode, 403);
  assert.match(
    (asReviewer.json() as Err).error.message,
    /role reviewer may not use this endpoint; it needs marketer or admin/,
  );
  const shown = await api.app.inject({
    method: 'GET',
    url: `/v1/subjects/${body.subjectId}/consents`,
    headers: auth('reviewer'),
  });
  assert.equal(shown.statusCode, 403);
  assert.equal(
    (await engine.services.consent.events(engine.services.pseudonymize(body.subjectId))).length,
    0,
    'nothing was recorded',
  );
  const requests = await api.app.inject({
    method: 'POST',
    url: '/v1/subject-requests',
    headers: auth('reviewer'),
    payload: { type: 'access', subjectId: body.subjectId },
  });
  assert.equal(requests.statusCode, 403);
  const log = await api.app.inject({ method: 'GET', url: '/v1/log?limit=5', headers: auth('reviewer') });
  assert.equal(log.statusCode, 200, log.body);
  const verify = await api.app.inject({ method: 'GET', url: '/v1/log/verify', headers: auth('reviewer') });
  assert.equal((verify.json() as { ok: boolean }).ok, true);
  const marketerLog = await api.app.inject({ method: 'GET', url: '/v1/log', headers: auth('marketer') });
  assert.equal(marketerLog.statusCode, 403);
});

test('double opt-in: the grant stays pending, GET on the link never confirms, POST confirms once', async () => {
  const body = grant({ doubleOptIn: true });
  const res = await post(body);
  assert.equal(res.statusCode, 201);
  const { event, confirmUrl } = res.json() as { event: { pending?: boolean; method: string }; confirmUrl: string };
  assert.equal(event.pending, true);
  assert.equal(event.method, 'double_opt_in');
  const path = new URL(confirmUrl).pathname;
  const ref = engine.services.pseudonymize(body.subjectId);
  const page = await api.app.inject({ method: 'GET', url: path });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<form method="post"/);
  assert.equal((await engine.services.consent.events(ref)).length, 1, 'GET confirmed nothing');
  const ok = await api.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'confirm=yes',
  });
  assert.equal(ok.statusCode, 200, ok.body);
  const events = await engine.services.consent.events(ref);
  assert.deepEqual(
    events.map((e) => [e.type, e.pending ?? false]),
    [
      ['granted', true],
      ['reconfirmed', false],
    ],
  );
  const again = await api.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'confirm=yes',
  });
  assert.match(again.body, /already confirmed/);
  assert.equal((await engine.services.consent.events(ref)).length, 2);
  const unsub = await api.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: parseForm('x=1') as never,
  });
  assert.equal(unsub.statusCode, 400, 'extra form fields are refused');
});

test('a confirm link cannot be used where another scope is expected, and unknown routes answer with the error body', async () => {
  const res = await post(grant({ doubleOptIn: true }));
  const token = new URL((res.json() as { confirmUrl: string }).confirmUrl).pathname.split('/').pop()!;
  const asUnsub = await api.app.inject({
    method: 'POST',
    url: `/u/${token}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    payload: 'List-Unsubscribe=One-Click',
  });
  assert.equal(asUnsub.statusCode, 403);
  assert.equal((asUnsub.json() as Err).error.code, 'token_wrong_scope');
  const missing = await api.app.inject({ method: 'GET', url: '/v2/nothing' });
  assert.equal(missing.statusCode, 404);
  assert.equal((missing.json() as Err).error.code, 'not_found');
});

test('POST /v1/consents records a consent at its real time, bounded by now, the notice and the stored history', async () => {
  const body = grant({ occurredAt: '2025-02-03T09:00:00Z' });
  const res = await post(body);
  assert.equal(res.statusCode, 201, res.body);
  const { event } = res.json() as { event: { occurredAt: string; noticeVersion: number } };
  assert.deepEqual([event.occurredAt, event.noticeVersion], ['2025-02-03T09:00:00.000Z', 2]);
  const future = await post(grant({ occurredAt: '2999-01-01T00:00:00Z' }));
  assert.equal(future.statusCode, 409);
  assert.equal((future.json() as Err).error.code, 'time_in_future');
  const beforeNotice = await post(grant({ occurredAt: '2025-01-01T00:00:00Z', noticeVersion: 3 }));
  assert.equal(beforeNotice.statusCode, 409);
  assert.equal((beforeNotice.json() as Err).error.code, 'time_before_notice');
  // A time that is not ISO 8601 with an offset is refused by the body schema, naming the field.
  const malformed = await post(grant({ occurredAt: '000000000000000000000000000000000000000' }));
  assert.equal(malformed.statusCode, 400);
  assert.match(malformed.body, /occurredAt/);
  const older = await post({ ...body, action: 'withdraw', occurredAt: '2025-01-03T09:00:00Z' });
  assert.equal(older.statusCode, 409);
  assert.equal((older.json() as Err).error.code, 'consent_out_of_order');
});
