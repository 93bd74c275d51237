import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConsentEvent, noticeInForce, type ConsentRecordRequest } from '../../domain/consent-record.js';
import type { SubjectRef } from '../../domain/ids.js';
import { checkCorrections, isOverdue } from '../../domain/subject-request.js';
import { policy } from '../../policy/index.js';

const now = new Date('2025-07-01T12:00:00Z');
const id = '01JZ0000000000000000000000';
const req = (over: Partial<ConsentRecordRequest> = {}): ConsentRecordRequest => ({
  type: 'granted',
  subjectRef: `sr_${'a'.repeat(22)}` as SubjectRef,
  purpose: 'marketing.email.newsletter',
  channel: 'email',
  language: 'en',
  collectionPoint: 'signup',
  method: 'form',
  jurisdiction: 'EU',
  source: 'test',
  ...over,
});

test('builds an event under the notice in force, with the legal basis and notice hash from policy', () => {
  const r = buildConsentEvent(req(), policy, now, id);
  assert.ok(r.ok);
  assert.equal(r.event.noticeVersion, 3);
  assert.equal(r.event.noticeHash, policy.notices.find((n) => n.version === 3 && n.language === 'en')!.contentHash);
  assert.equal(r.event.legalBasis, 'consent');
  assert.equal(r.event.occurredAt, now.toISOString());
  const before = buildConsentEvent(req(), policy, new Date('2025-01-01T00:00:00Z'), id);
  assert.equal(before.ok && before.event.noticeVersion, 2, 'the notice in force at the time, not the latest');
});

test('refuses each bad field with a stable code naming the field', () => {
  const cases: [Partial<ConsentRecordRequest>, string, string][] = [
    [{ purpose: 'marketing.nope' }, 'unknown_purpose', 'purpose'],
    [{ channel: 'fax' }, 'unknown_channel', 'channel'],
    [{ channel: 'sms' }, 'channel_not_allowed', 'channel'],
    [{ method: 'pigeon' }, 'unknown_method', 'method'],
    [{ language: 'English' }, 'bad_language', 'language'],
    [{ jurisdiction: 'eu' }, 'bad_jurisdiction', 'jurisdiction'],
    [{ language: 'fr' }, 'no_notice_in_language', 'language'],
    [{ noticeVersion: 9 }, 'unknown_notice_version', 'noticeVersion'],
    [{ collectionPoint: '' }, 'invalid_event', 'collectionPoint'],
  ];
  for (const [over, code, field] of cases) {
    const r = buildConsentEvent(req(over), policy, now, id);
    assert.ok(!r.ok, code);
    assert.equal(r.code, code);
    assert.equal(r.field, field);
    assert.ok(r.message.startsWith(`${field} `));
  }
  assert.equal(noticeInForce(policy, 'en', new Date('2020-01-01T00:00:00Z')), undefined);
  const early = buildConsentEvent(req(), policy, new Date('2020-01-01T00:00:00Z'), id);
  assert.equal(!early.ok && early.code, 'no_notice_in_force');
});

test('a pending grant and evidence are carried into the event', () => {
  const r = buildConsentEvent(req({ pending: true, evidence: { ipHash: 'ip1_x', userAgent: 'UA' } }), policy, now, id);
  assert.ok(r.ok);
  assert.equal(r.event.pending, true);
  assert.deepEqual(r.event.evidence, { ipHash: 'ip1_x', userAgent: 'UA' });
});

test('corrections are checked field by field against the subject schema', () => {
  assert.deepEqual(checkCorrections({ city: 'Graz', birth_year: '1990' }, policy.subjectFields), {
    ok: true,
    fields: { city: 'Graz', birth_year: '1990' },
  });
  const bad = checkCorrections({ email: 'nope', gender: 'x', shoe: '1' }, policy.subjectFields);
  assert.ok(!bad.ok);
  assert.deepEqual(bad.issues.map((i) => i.path.join('.')).sort(), [
    'corrections.email',
    'corrections.gender',
    'corrections.shoe',
  ]);
  assert.ok(!checkCorrections({}, policy.subjectFields).ok, 'an empty correction is refused');
});

test('a request is overdue when open past its deadline or closed after it', () => {
  const r = {
    requestId: 'dsar-access-x',
    type: 'access',
    subjectRef: `sr_${'a'.repeat(22)}` as SubjectRef,
    status: 'in_progress',
    receivedAt: '2025-01-01T00:00:00.000Z',
    deadline: '2025-01-16T00:00:00.000Z',
  } as const;
  assert.equal(isOverdue(r, new Date('2025-01-10T00:00:00Z')), false);
  assert.equal(isOverdue(r, new Date('2025-01-17T00:00:00Z')), true);
  assert.equal(
    isOverdue({ ...r, status: 'completed', completedAt: '2025-01-15T00:00:00.000Z' }, new Date('2025-03-01T00:00:00Z')),
    false,
  );
});

test('a consent given in the past keeps its real time and cites the notice in force then', () => {
  const r = buildConsentEvent(req({ occurredAt: '2025-02-03T10:00:00+01:00' }), policy, now, id);
  assert.ok(r.ok);
  assert.deepEqual([r.event.occurredAt, r.event.noticeVersion], ['2025-02-03T09:00:00.000Z', 2]);
});

test('a consent time in the future, before the notice it cites, or without an offset is refused, naming occurredAt', () => {
  const cases: [Partial<ConsentRecordRequest>, string, RegExp][] = [
    [{ occurredAt: '2025-07-01T12:00:01Z' }, 'time_in_future', /is in the future/],
    [
      { occurredAt: '2025-01-10T00:00:00Z', noticeVersion: 3 },
      'time_before_notice',
      /is before notice v3 \(en\) took effect at 2025-06-01T00:00:00Z; cite the notice shown then/,
    ],
    [{ occurredAt: '2023-12-31T00:00:00Z' }, 'no_notice_in_force', /no notice in en was in force at 2023-12-31/],
    [{ occurredAt: '2025-01-10 10:00' }, 'bad_time', /must be an ISO 8601 time with an offset/],
  ];
  for (const [over, code, message] of cases) {
    const r = buildConsentEvent(req(over), policy, now, id);
    assert.ok(!r.ok, code);
    assert.equal(r.code, code);
    assert.match(r.problem, message);
  }
});
