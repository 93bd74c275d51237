import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ulid } from 'ulid';
import { waitForSubjectRequest } from '../../infra/temporal/rights.js';
import { auth } from '../helpers/api.js';
import { uniqueId } from '../helpers/services.js';
import { api, bundleFile, engine, type Err, start, type Started } from './subject-requests-helpers.js';

test('an erased address is refused on re-import until a new consent is recorded through the API', async () => {
  const subjectId = uniqueId('s');
  const address = `${uniqueId('di')}@example.org`;
  await engine.seed(subjectId, { email: address });
  await waitForSubjectRequest(engine.client, ((await start({ type: 'erase', subjectId })).json() as Started).requestId);
  assert.equal((await engine.services.subjects.upsert(subjectId, { email: address })).status, 'refused');
  assert.equal(
    (await engine.services.subjects.upsert(uniqueId('other'), { email: address })).status,
    'refused',
    'a new id with the erased address too',
  );
  const consent = await api.app.inject({
    method: 'POST',
    url: '/v1/consents',
    headers: auth('marketer'),
    payload: {
      subjectId,
      action: 'grant',
      purpose: 'marketing.email.newsletter',
      channel: 'email',
      language: 'en',
      collectionPoint: 'signup-form',
      jurisdiction: 'EU',
    },
  });
  assert.equal(consent.statusCode, 201);
  assert.deepEqual(
    await engine.services.subjects.upsert(subjectId, { email: address }).then((r) => r.status),
    'written',
  );
});

test('subject-request bodies and ids are validated; a repeated request is a register entry of its own', async () => {
  const cases: [unknown, string][] = [
    [{ type: 'delete', subjectId: 'x' }, 'body.type'],
    [{ type: 'access' }, 'body.subjectId'],
    [{ type: 'access', subjectId: 'has space' }, 'body.subjectId'],
    [{ type: 'access', subjectId: 'x', extra: 1 }, 'body.extra'],
    [{ type: 'access', subjectId: 'x', corrections: { city: 'Rome' } }, 'body.corrections'],
    [{ type: 'correct', subjectId: 'x' }, 'body.corrections'],
    [{ type: 'correct', subjectId: 'x', corrections: { city: 'y'.repeat(501) } }, 'body.corrections.city'],
  ];
  for (const [body, path] of cases) {
    const res = await start(body);
    assert.equal(res.statusCode, 400, JSON.stringify(body));
    assert.ok(
      (res.json() as Err).error.issues?.some((i) => i.path === path),
      `${path}: ${res.body}`,
    );
  }
  const unknown = await api.app.inject({
    method: 'GET',
    url: `/v1/subject-requests/dsar-access-${ulid()}`,
    headers: auth('admin'),
  });
  assert.equal(unknown.statusCode, 404);
  const pseudonymId = await api.app.inject({
    method: 'GET',
    url: `/v1/subject-requests/dsar-access-sr_${'A'.repeat(22)}`,
    headers: auth('admin'),
  });
  assert.equal(pseudonymId.statusCode, 400, 'the old subject-derived ids are refused with a hint');
  assert.match(pseudonymId.body, /dsar-access-01J/);
  const malformed = await api.app.inject({
    method: 'GET',
    url: '/v1/subject-requests/../../etc',
    headers: auth('admin'),
  });
  assert.ok([400, 404].includes(malformed.statusCode));
  const subjectId = uniqueId('s');
  await engine.seed(subjectId, { email: `${ulid().toLowerCase()}@example.org` });
  const ids = (await Promise.all([start({ type: 'access', subjectId }), start({ type: 'access', subjectId })])).map(
    (r) => (r.json() as Started).requestId,
  );
  assert.notEqual(ids[0], ids[1]);
  const records = await Promise.all(ids.map((id) => waitForSubjectRequest(engine.client, id)));
  assert.deepEqual(
    records.map((r) => r.status),
    ['completed', 'completed'],
  );
  const listed = (
    (await api.app.inject({ method: 'GET', url: '/v1/subject-requests', headers: auth('reviewer') })).json() as {
      requests: { requestId: string }[];
    }
  ).requests.map((r) => r.requestId);
  assert.ok(
    ids.every((id) => listed.includes(id)),
    'both kept in the register',
  );
  for (const r of records)
    assert.equal(
      (JSON.parse(readFileSync(bundleFile(r.bundleId!), 'utf8')) as { format: string }).format,
      'consentflow-access-bundle/v1',
    );
});
