import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConsentEvent } from '../../domain/consent.js';
import { applyEvent, type ConsentProjection, GuardState, projectionKey, rebuild } from '../../domain/consent-state.js';
import { purposeAncestors } from '../../domain/purpose-id.js';
import { event, SUBJECT } from './guard-fixtures.js';

const arbEvent = fc
  .record({
    type: fc.constantFrom('granted', 'withdrawn', 'expired', 'reconfirmed'),
    purpose: fc.constantFrom(
      'marketing.email',
      'marketing.email.newsletter',
      'marketing.sms.promotions',
      'sharing.third_party.ads',
    ),
    channel: fc.constantFrom('email', 'sms'),
    noticeVersion: fc.integer({ min: 1, max: 3 }),
    pending: fc.option(fc.constant(true as const), { nil: undefined }),
  })
  .map((r) => event(r));

test('rebuilding from the events equals applying them one by one', () => {
  fc.assert(
    fc.property(fc.array(arbEvent, { maxLength: 40 }), (events) => {
      const incremental = events.reduce<ConsentProjection>((s, e) => applyEvent(s, e), {});
      assert.deepEqual(rebuild(events), incremental);
    }),
  );
});

test('rebuilding a prefix and applying the rest equals rebuilding everything', () => {
  fc.assert(
    fc.property(fc.array(arbEvent, { maxLength: 40 }), fc.nat(), (events, cut) => {
      const at = events.length === 0 ? 0 : cut % (events.length + 1);
      const resumed = events.slice(at).reduce(applyEvent, rebuild(events.slice(0, at)));
      assert.deepEqual(resumed, rebuild(events));
    }),
  );
});

test('the projection holds exactly the latest event of each purpose and channel', () => {
  fc.assert(
    fc.property(fc.array(arbEvent, { maxLength: 40 }), (events) => {
      const state = rebuild(events);
      const keys = new Set(events.map((e) => projectionKey(e.purpose, e.channel)));
      assert.deepEqual(new Set(Object.keys(state)), keys);
      const latest = new Map(events.map((e) => [projectionKey(e.purpose, e.channel), e] as const));
      for (const [k, e] of latest) assert.equal(state[k], e);
    }),
  );
});

test('applying an event leaves the previous projection untouched', () => {
  const before = rebuild([event()]);
  const snapshot = structuredClone(before);
  applyEvent(before, event({ type: 'withdrawn' }));
  assert.deepEqual(before, snapshot);
});

test('a projection survives a JSON round trip through the guard state schema', () => {
  const state = {
    consent: rebuild([event(), event({ channel: 'sms', purpose: 'marketing.sms' })]),
    suppressions: [],
    erased: false,
    personalisation: 'on',
  };
  assert.deepEqual(GuardState.parse(JSON.parse(JSON.stringify(state))), state);
});

test('the consent event schema rejects a missing notice hash, a bad id and a client-style timestamp', () => {
  const good = event();
  assert.equal(ConsentEvent.safeParse(good).success, true);
  assert.equal(ConsentEvent.safeParse({ ...good, noticeHash: '' }).success, false);
  assert.equal(ConsentEvent.safeParse({ ...good, id: 'not-a-ulid' }).success, false);
  assert.equal(ConsentEvent.safeParse({ ...good, occurredAt: '2026-01-10 09:30' }).success, false);
  assert.equal(ConsentEvent.safeParse({ ...good, subjectRef: 'alice@example.com' }).success, false);
  assert.equal(ConsentEvent.safeParse({ ...good, channel: 'fax' }).success, false);
  assert.equal(ConsentEvent.safeParse({ ...good, pending: false }).success, false);
  assert.equal(good.subjectRef, SUBJECT);
});

test('purpose ancestors run from the nearest parent to the root', () => {
  assert.deepEqual(purposeAncestors('marketing.email.newsletter'), ['marketing.email', 'marketing']);
  assert.deepEqual(purposeAncestors('marketing'), []);
});
