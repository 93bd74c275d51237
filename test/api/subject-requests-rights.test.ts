import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SubjectRequestRecord } from '../../domain/subject-request.js';
import { waitForSubjectRequest } from '../../infra/temporal/rights.js';
import { auth } from '../helpers/api.js';
import { uniqueId } from '../helpers/services.js';
import {
  api,
  bundleFile,
  delivered,
  engine,
  type Err,
  matchHash,
  notifier,
  start,
  type Started,
  trail,
} from './subject-requests-helpers.js';

test('access: the bundle holds profile, consent history and every log entry; status shows the 15-day deadline', async () => {
  const subjectId = uniqueId('s');
  const ref = await engine.seed(subjectId, { email: 'ann@example.org', first_name: 'Ann', city: 'Lyon' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  await delivered(ref, 'smtp-relay');
  const res = await start({ type: 'access', subjectId });
  assert.equal(res.statusCode, 202, res.body);
  const { requestId, statusUrl } = res.json() as Started;
  assert.match(requestId, /^dsar-access-[0-9A-HJKMNP-TV-Z]{26}$/);
  const done = await waitForSubjectRequest(engine.client, requestId);
  assert.equal(done.status, 'completed');
  assert.equal(Date.parse(done.deadline) - Date.parse(done.receivedAt), 15 * 86_400_000);
  assert.ok(
    Date.parse(done.bundleExpiresAt ?? '') - Date.parse(done.completedAt ?? '') >= 30 * 86_400_000 - 60_000,
    'kept 30 days unless fetched',
  );
  assert.ok(existsSync(bundleFile(requestId)));
  const asReviewer = await api.app.inject({ method: 'GET', url: `${statusUrl}/bundle`, headers: auth('reviewer') });
  assert.equal(asReviewer.statusCode, 403);
  assert.ok(existsSync(bundleFile(requestId)), 'a refused fetch delivers nothing');
  const status = (
    await api.app.inject({ method: 'GET', url: statusUrl, headers: auth('admin') })
  ).json() as SubjectRequestRecord & { overdue: boolean };
  assert.equal(status.status, 'completed');
  assert.equal(status.overdue, false);
  const bundle = await api.app.inject({ method: 'GET', url: `${statusUrl}/bundle`, headers: auth('admin') });
  assert.equal(bundle.statusCode, 200);
  const b = bundle.json() as {
    bundle: {
      profile: { fields: Record<string, string> };
      consentHistory: unknown[];
      decisionLog: { subjectRef: string }[];
    };
    summary: string;
  };
  assert.deepEqual(b.bundle.profile.fields, { email: 'ann@example.org', first_name: 'Ann', city: 'Lyon' });
  assert.equal(b.bundle.consentHistory.length, 1);
  // The two send entries, and the intake recorded as an operator action on this subject.
  assert.equal(b.bundle.decisionLog.length, 3);
  assert.ok(b.bundle.decisionLog.every((e) => e.subjectRef === ref));
  assert.equal(b.bundle.decisionLog.filter((e) => (e as { stepId?: string }).stepId === 'dsr_received').length, 1);
  assert.match(b.summary, /Profile fields we hold:\n {2}email: ann@example\.org/);
  assert.match(b.summary, /Postwerk Mail Relay GmbH/);
  assert.ok(!existsSync(bundleFile(requestId)), 'delivered, so deleted');
  assert.ok(!existsSync(join(engine.config.dataDir, 'dsar', `${requestId}.txt`)));
  assert.equal(
    (await api.app.inject({ method: 'GET', url: `${statusUrl}/bundle`, headers: auth('admin') })).statusCode,
    404,
  );
  assert.deepEqual(
    (await trail(ref)).map((t) => t.action),
    ['bundle_deleted:delivered'],
  );
  const history = JSON.stringify((await engine.client.workflow.getHandle(requestId).fetchHistory()).events);
  assert.doesNotMatch(history, /ann@example|Lyon/, 'no personal data in Temporal history');
  const list = await api.app.inject({ method: 'GET', url: '/v1/subject-requests', headers: auth('reviewer') });
  assert.ok((list.json() as { requests: { requestId: string }[] }).requests.some((r) => r.requestId === requestId));
});

test('correct: validated against the subject schema, applied, audited by field name only', async () => {
  const subjectId = uniqueId('s');
  const ref = await engine.seed(subjectId, { email: 'bo@example.org', first_name: 'Bo' });
  const bad = await start({
    type: 'correct',
    subjectId,
    corrections: { first_name: '', shoe_size: '44', loyalty_tier: 'diamond' },
  });
  assert.equal(bad.statusCode, 400);
  const e = (bad.json() as Err).error;
  assert.equal(e.code, 'invalid_request', 'the subject schema is part of the request schema');
  assert.deepEqual(e.issues?.map((i) => i.path).sort(), [
    'body.corrections.first_name',
    'body.corrections.loyalty_tier',
    'body.corrections.shoe_size',
  ]);
  const res = await start({ type: 'correct', subjectId, corrections: { first_name: 'Bob', city: 'Graz' } });
  assert.equal(res.statusCode, 202, res.body);
  const done = await waitForSubjectRequest(engine.client, (res.json() as Started).requestId);
  assert.equal(done.status, 'completed');
  assert.deepEqual(done.fieldsCorrected, ['city', 'first_name']);
  const profile = await engine.services.subjects.readFields(ref, ['first_name', 'city', 'email']);
  assert.deepEqual(profile, { status: 'found', fields: { first_name: 'Bob', city: 'Graz', email: 'bo@example.org' } });
  const audit = await trail(ref);
  assert.deepEqual(
    audit.map((t) => [t.action, t.fields]),
    [['corrected', ['city', 'first_name']]],
  );
  assert.doesNotMatch(JSON.stringify(audit), /Bob|Graz/);
});

test('erase: profile unreadable, suppression holds, processors informed or failed per processor, the log still verifies', async () => {
  const subjectId = uniqueId('s');
  const address = `${uniqueId('cy')}@example.org`;
  const ref = await engine.seed(subjectId, { email: address, first_name: 'Cy' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  await delivered(ref, 'smtp-relay');
  await delivered(ref, 'ads-partner');
  await delivered(ref, 'sms-gateway');
  const res = await start({ type: 'erase', subjectId });
  assert.equal(res.statusCode, 202);
  const done = await waitForSubjectRequest(engine.client, (res.json() as Started).requestId);
  assert.equal(done.status, 'completed');
  assert.deepEqual(await engine.services.subjects.readAllForAccessRequest(ref), { status: 'erased' });
  assert.deepEqual(
    (await engine.services.consent.suppressions(ref)).map((s) => s.kind),
    ['erased'],
  );
  assert.equal((await engine.services.consent.loadGuardState(ref)).erased, true);
  const prop = (
    await api.app.inject({ method: 'GET', url: `/v1/subjects/${subjectId}/propagation`, headers: auth('admin') })
  ).json() as { records: { processor: string; status: string; attempts: number; kind: string; lastError?: string }[] };
  const by = Object.fromEntries(prop.records.map((r) => [r.processor, r]));
  assert.equal(by['smtp-relay']?.status, 'informed');
  assert.equal(by['ads-partner']?.status, 'informed');
  assert.equal(by['sms-gateway']?.status, 'failed');
  assert.equal(by['sms-gateway']?.attempts, 3, 'retried with backoff before giving up');
  assert.match(by['sms-gateway']?.lastError ?? '', /503/);
  const notice = notifier.notices.find(
    (n) => n.processor === 'ads-partner' && n.notice.changeId === done.requestId,
  )?.notice;
  assert.equal(notice?.kind, 'erased');
  // Captured before the shred: the hash of the address it received, under its own key, which it can match.
  assert.deepEqual(notice?.subject, {
    scheme: 'hmac-sha256-address/v1',
    field: 'email',
    hash: matchHash('ads-partner', address),
  });
  assert.notEqual(
    notice?.subject.hash,
    matchHash('sms-gateway', address),
    'keyed per processor: hashes do not link across processors',
  );
  const sent = JSON.stringify(notifier.notices.filter((n) => n.notice.changeId === done.requestId));
  assert.doesNotMatch(sent, new RegExp(address.replace(/[.]/g, '\\.')), 'processors never get the address itself');
  assert.doesNotMatch(sent, new RegExp(ref), 'nor our pseudonym, which they never received');
  assert.equal((await engine.services.log.verify()).ok, true);
});

test('correct: a processor is told the new values of only the fields it received, under the address it knew', async () => {
  const subjectId = uniqueId('s');
  const old = `${uniqueId('fe')}@example.org`;
  const ref = await engine.seed(subjectId, { email: old, first_name: 'Fe', city: 'Oslo' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  await delivered(ref, 'ads-partner', ['email', 'first_name']);
  const fresh = `${uniqueId('fe2')}@example.org`;
  const res = await start({ type: 'correct', subjectId, corrections: { email: fresh, city: 'Bergen' } });
  assert.equal(res.statusCode, 202, res.body);
  const done = await waitForSubjectRequest(engine.client, (res.json() as Started).requestId);
  assert.equal(done.status, 'completed');
  const notice = notifier.notices.find(
    (n) => n.notice.changeId === done.requestId && n.processor === 'ads-partner',
  )?.notice;
  assert.equal(notice?.kind, 'corrected');
  assert.deepEqual(notice?.corrections, { email: fresh }, 'city was never sent to it, so it is not told');
  assert.equal(
    notice?.subject.hash,
    matchHash('ads-partner', old),
    'named by the address it holds, not the corrected one',
  );
  const history = JSON.stringify(
    (await engine.client.workflow.getHandle(`propagation-${done.requestId}`).fetchHistory()).events,
  );
  assert.doesNotMatch(
    history,
    new RegExp(`${fresh}|Bergen`.replace(/[.]/g, '\\.')),
    'values stay out of Temporal history',
  );
});

test("erasure deletes the subject's access bundles at once", async () => {
  const subjectId = uniqueId('s');
  const ref = await engine.seed(subjectId, { email: `${uniqueId('ha')}@example.org` });
  const bundles = [];
  for (let i = 0; i < 2; i++)
    bundles.push(
      (
        await waitForSubjectRequest(
          engine.client,
          ((await start({ type: 'access', subjectId })).json() as Started).requestId,
        )
      ).bundleId!,
    );
  assert.ok(bundles.every((b) => existsSync(bundleFile(b))));
  const erased = await waitForSubjectRequest(
    engine.client,
    ((await start({ type: 'erase', subjectId })).json() as Started).requestId,
  );
  assert.equal(erased.status, 'completed');
  assert.ok(bundles.every((b) => !existsSync(bundleFile(b))));
  assert.deepEqual(
    (await trail(ref)).map((t) => t.action),
    ['bundle_deleted:erasure', 'bundle_deleted:erasure', 'erased'],
  );
});
