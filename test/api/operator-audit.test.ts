import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogEntry } from '../../domain/decision-log.js';
import { auth, useApi } from '../helpers/api.js';
import { useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

// The API's actor is the key name: reads are recorded before they answer, staff consent and DSR intake after they happen.
const engine = useEngine();
const api = useApi(engine);

async function operatorEntries(): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of engine.services.log.query({ kind: 'operator' })) out.push(e);
  return out;
}
const consent = (subjectId: string, method: string) => ({
  subjectId,
  action: 'grant',
  purpose: 'marketing.email.newsletter',
  channel: 'email',
  language: 'en',
  collectionPoint: 'call-centre',
  jurisdiction: 'EU',
  method,
});

test('a staff-entered consent through the API needs a reason, is recorded as staff with the key name, and the log names the caller', async () => {
  const app = await api.ready;
  const id = uniqueId('s');
  const missing = await app.inject({
    method: 'POST',
    url: '/v1/consents',
    headers: auth('admin'),
    payload: consent(id, 'staff'),
  });
  assert.equal(missing.statusCode, 403);
  assert.deepEqual(
    [missing.json().error.code, /x-consentflow-reason/.test(missing.json().error.message)],
    ['reason_required', true],
  );
  const bad = await app.inject({
    method: 'POST',
    url: '/v1/consents',
    headers: { ...auth('admin'), 'x-consentflow-reason': 'from ada@example.com' },
    payload: consent(id, 'staff'),
  });
  assert.equal(bad.statusCode, 400);
  const ok = await app.inject({
    method: 'POST',
    url: '/v1/consents',
    headers: { ...auth('admin'), 'x-consentflow-reason': 'call ticket T-8' },
    payload: consent(id, 'staff'),
  });
  assert.equal(ok.statusCode, 201, ok.body);
  const event = ok.json().event as { method: string; source: string; subjectRef: string };
  assert.deepEqual([event.method, event.source], ['staff', 'staff:test-admin']);
  const entry = (await operatorEntries()).find(
    (e) => e.stepId === 'consent_recorded_by_staff' && e.subjectRef === event.subjectRef,
  );
  assert.match(entry?.result ?? '', /^actor=test-admin reason="call ticket T-8" type=granted event=/);
  // A subject's own answer forwarded by a service is not an operator action.
  const form = await app.inject({
    method: 'POST',
    url: '/v1/consents',
    headers: auth('marketer'),
    payload: consent(uniqueId('s'), 'form'),
  });
  assert.equal(form.statusCode, 201);
  assert.equal((await operatorEntries()).filter((e) => e.stepId === 'consent_recorded_by_staff').length, 1);
});

test('DSR intake, profile reads, log queries and report reads leave operator entries with the key name as actor; /v1/log filters by actor', async () => {
  const app = await api.ready;
  const id = uniqueId('s');
  const ref = await engine.seed(id, { email: 'api-audit@example.com' });
  const intake = await app.inject({
    method: 'POST',
    url: '/v1/subject-requests',
    headers: { ...auth('admin'), 'x-consentflow-reason': 'web form DSR-3' },
    payload: { type: 'access', subjectId: id },
  });
  assert.equal(intake.statusCode, 202, intake.body);
  const requestId = intake.json().requestId as string;
  assert.equal(
    (await app.inject({ method: 'GET', url: `/v1/subjects/${id}/consents`, headers: auth('marketer') })).statusCode,
    200,
  );
  assert.equal(
    (await app.inject({ method: 'GET', url: '/v1/log?kind=operator', headers: auth('reviewer') })).statusCode,
    200,
  );
  const entries = await operatorEntries();
  const find = (action: string) =>
    entries.find((e) => e.stepId === action && (e.subjectRef === ref || action === 'log_queried'));
  assert.equal(
    find('dsr_received')?.result,
    `actor=test-admin reason="web form DSR-3" request=${requestId} type=access`,
  );
  assert.equal(find('profile_read')?.result, 'actor=test-marketer consents');
  assert.equal(find('log_queried')?.result, 'actor=test-reviewer q.kind=operator q.limit=100');
  const mine = await app.inject({ method: 'GET', url: '/v1/log?actor=test-marketer', headers: auth('reviewer') });
  assert.deepEqual(
    (mine.json().entries as LogEntry[]).map((e) => e.stepId),
    ['profile_read'],
  );
  assert.equal(
    (await app.inject({ method: 'GET', url: '/v1/log?actor=a%40b', headers: auth('reviewer') })).statusCode,
    400,
  );
});
