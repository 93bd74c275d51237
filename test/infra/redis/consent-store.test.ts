import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { rebuild } from '../../../domain/consent-state.js';
import { ConsentStore, InvalidConsentRecordError } from '../../../infra/redis/consent-store.js';
import { consentEvent, testStores } from '../../helpers/consent-fixtures.js';
import { uniqueId } from '../../helpers/services.js';

const { redis, keys, consent, subjects } = testStores();
const newRef = () => subjects.refOf(uniqueId('c'));

test('append writes the event and the projection together', async () => {
  const ref = newRef();
  const e = consentEvent(ref);
  const { streamId, event } = await consent.append(e);
  assert.match(streamId, /^\d+-\d+$/);
  assert.deepEqual(event, e);
  assert.deepEqual(await consent.events(ref), [e]);
  assert.deepEqual(await consent.projection(ref), { 'marketing.email.newsletter|email': e });
});

test('a failing write inside the append script leaves neither the event nor the projection', async () => {
  const ref = newRef();
  // Sabotage the projection key so the second write would fail with WRONGTYPE.
  await redis.set(keys.consentState(ref), 'not a hash');
  await assert.rejects(consent.append(consentEvent(ref)), /WRONGTYPE/);
  assert.equal(await redis.exists(keys.consentEvents(ref)), 0);
  await redis.del(keys.consentState(ref));
  await redis.set(keys.consentEvents(ref), 'not a list');
  await assert.rejects(consent.append(consentEvent(ref)), /WRONGTYPE/);
  assert.equal(await redis.exists(keys.consentState(ref)), 0);
});

test('a plain MULTI would not have been enough: Redis applies the first command even when the second fails', async () => {
  // Why append uses a type-checked script: this is what a crash-free but error-prone MULTI leaves behind.
  const ref = newRef();
  await redis.set(keys.consentState(ref), 'not a hash');
  await redis.multi().rpush(keys.consentEvents(ref), '0-1 {}').hset(keys.consentState(ref), 'k', 'v').exec();
  assert.equal(await redis.llen(keys.consentEvents(ref)), 1);
});

test('events appended in the same millisecond keep their order and get increasing ids', async () => {
  const ref = newRef();
  const sent = Array.from({ length: 20 }, (_, i) => consentEvent(ref, { type: i % 2 ? 'withdrawn' : 'granted' }));
  const ids = await Promise.all(sent.map((e) => consent.append(e).then((r) => r.streamId)));
  const order = (id: string) => id.split('-').map(Number) as [number, number];
  for (let i = 1; i < ids.length; i++) {
    const [a, b] = [order(ids[i - 1]!), order(ids[i]!)];
    assert.ok(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), `${ids[i - 1]} before ${ids[i]}`);
  }
  assert.deepEqual(await consent.events(ref), sent);
  assert.equal(await redis.type(keys.consentEvents(ref)), 'list');
});

test('a subject whose events were recorded as a stream keeps them, and new events join the same stream', async () => {
  const ref = newRef();
  const old = consentEvent(ref);
  await redis.xadd(keys.consentEvents(ref), '*', 'e', JSON.stringify(old));
  const later = consentEvent(ref, { type: 'withdrawn' });
  const { streamId } = await consent.append(later);
  assert.match(streamId, /^\d+-\d+$/);
  assert.deepEqual(await consent.events(ref), [old, later]);
  assert.equal(await redis.type(keys.consentEvents(ref)), 'stream');
});

test('an event list entry that is not JSON is reported as corrupt, not skipped', async () => {
  const ref = newRef();
  await redis.rpush(keys.consentEvents(ref), '1-0 {broken');
  await assert.rejects(consent.events(ref), /not JSON/);
});

test('invalid events are rejected before anything is written', async () => {
  const ref = newRef();
  await assert.rejects(consent.append({ ...consentEvent(ref), purpose: 'Not A Purpose' }), InvalidConsentRecordError);
  assert.equal(await redis.exists(keys.consentEvents(ref), keys.consentState(ref)), 0);
});

test('no update or delete path exists for consent events', () => {
  const methods = Object.getOwnPropertyNames(ConsentStore.prototype).filter((m) => m !== 'constructor');
  assert.deepEqual(
    methods.filter((m) => /update|delete|remove|edit|set(?!Personalisation)|trim|replace|clear/i.test(m)),
    [],
  );
  assert.ok(methods.includes('append'));
});

const arbEvent = fc.record({
  type: fc.constantFrom('granted', 'withdrawn', 'expired', 'reconfirmed'),
  purpose: fc.constantFrom('marketing.email.newsletter', 'marketing.sms.promotions', 'sharing.third_party.ads'),
  channel: fc.constantFrom('email', 'sms'),
  noticeVersion: fc.integer({ min: 1, max: 4 }),
  pending: fc.option(fc.constant(true as const), { nil: undefined }),
});

test('rebuilding the projection from the events equals the stored projection (property, real Redis)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(arbEvent, { maxLength: 25 }), async (specs) => {
      const ref = newRef();
      const appended = [];
      for (const s of specs) {
        const { pending, ...rest } = s;
        appended.push((await consent.append(consentEvent(ref, { ...rest, ...(pending ? { pending } : {}) }))).event);
      }
      const r = await consent.rebuildProjection(ref);
      assert.ok(r.matches);
      assert.deepEqual(r.stored, rebuild(appended));
    }),
    { numRuns: 60 },
  );
});

test('rebuildProjection reports drift when the stored projection disagrees', async () => {
  const ref = newRef();
  await consent.append(consentEvent(ref));
  await redis.hset(
    keys.consentState(ref),
    'marketing.email.newsletter|email',
    JSON.stringify(consentEvent(ref, { type: 'withdrawn' })),
  );
  assert.equal((await consent.rebuildProjection(ref)).matches, false);
});

test('suppressions are recorded per kind and channel; erased cannot be lifted', async () => {
  const ref = newRef();
  await consent.suppress(ref, 'hard_bounce', 'smtp', { channel: 'email' });
  await consent.suppress(ref, 'unsubscribe_all', 'one_click');
  assert.deepEqual((await consent.suppressions(ref)).map((s) => s.kind).sort(), ['hard_bounce', 'unsubscribe_all']);
  assert.equal(await consent.unsuppress(ref, 'unsubscribe_all'), 'removed');
  assert.equal(await consent.unsuppress(ref, 'unsubscribe_all'), 'absent');
  assert.equal(await consent.unsuppress(ref, 'hard_bounce'), 'absent');
  assert.equal(await consent.unsuppress(ref, 'hard_bounce', 'email'), 'removed');
  await subjects.erase(ref, 'dsar');
  assert.equal(await consent.unsuppress(ref, 'erased'), 'not_liftable');
  assert.deepEqual(
    (await consent.suppressions(ref)).map((s) => s.kind),
    ['erased'],
  );
});
