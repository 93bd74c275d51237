import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { ConsentStore } from '../../../infra/redis/consent-store.js';
import { consentEvent, testStores } from '../../helpers/consent-fixtures.js';
import { uniqueId } from '../../helpers/services.js';

const { redis, keys, consent, subjects } = testStores();
const newRef = () => subjects.refOf(uniqueId('g'));

test('loadGuardState returns projection, suppressions, erasure and personalisation in one command', async () => {
  const ref = newRef();
  const e = await consent.append(consentEvent(ref));
  await consent.suppress(ref, 'complaint', 'fbl', { channel: 'email' });
  await consent.setPersonalisation(ref, 'off');
  const s = await consent.loadGuardState(ref);
  assert.equal(s.loadError, undefined);
  assert.deepEqual(s.consent, { 'marketing.email.newsletter|email': e.event });
  assert.deepEqual(
    s.suppressions.map((x) => [x.kind, x.channel]),
    [['complaint', 'email']],
  );
  assert.equal(s.erased, false);
  assert.equal(s.personalisation, 'off');
});

test('a subject with no records loads as empty state: no consent, personalisation not refused', async () => {
  assert.deepEqual(await consent.loadGuardState(newRef()), {
    consent: {},
    suppressions: [],
    erased: false,
    personalisation: 'on',
    epoch: 0,
  });
});

test('every write the guard reads moves the consent epoch; an unreadable epoch fails closed', async () => {
  const ref = newRef();
  const epoch = async () => (await consent.loadGuardState(ref)).epoch;
  assert.equal(await epoch(), 0);
  await consent.append(consentEvent(ref, { purpose: 'marketing.email.newsletter' }));
  assert.equal(await epoch(), 1);
  await consent.suppress(ref, 'complaint', 'test');
  assert.equal(await epoch(), 2);
  await consent.unsuppress(ref, 'complaint');
  assert.equal(await epoch(), 3);
  await consent.setPersonalisation(ref, 'off');
  assert.equal(await epoch(), 4);
  await subjects.erase(ref, 'dsar');
  assert.equal(await epoch(), 5);
  await redis.set(keys.epoch(ref), 'garbage');
  assert.match((await consent.loadGuardState(ref)).loadError ?? '', /epoch/);
});

test('an erased subject loads as erased', async () => {
  const ref = newRef();
  await subjects.erase(ref, 'dsar');
  const s = await consent.loadGuardState(ref);
  assert.equal(s.erased, true);
  assert.deepEqual(
    s.suppressions.map((x) => x.kind),
    ['erased'],
  );
});

test('fails closed with loadError when Redis is unreachable, without throwing', async () => {
  const dead = new Redis('redis://127.0.0.1:1', {
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 50,
  });
  dead.on('error', () => {});
  const store = new ConsentStore({ redis: dead, keys, loadTimeoutMs: 200 });
  const t0 = Date.now();
  const s = await store.loadGuardState(newRef());
  assert.ok(s.loadError, 'loadError must be set');
  assert.deepEqual(s.consent, {});
  assert.ok(Date.now() - t0 < 2000, 'the timeout bounds the wait');
  const bulk = await store.loadGuardStates([newRef(), newRef()]);
  assert.equal(bulk.length, 2);
  assert.ok(bulk.every((b) => b.loadError));
  dead.disconnect();
});

test('fails closed on unparseable stored data', async () => {
  const ref = newRef();
  await redis.hset(keys.consentState(ref), 'marketing.email.newsletter|email', '{"type":"granted"}');
  assert.match((await consent.loadGuardState(ref)).loadError ?? '', /projection/);
  const ref2 = newRef();
  await redis.hset(keys.suppression(ref2), 'x', 'not json');
  assert.ok((await consent.loadGuardState(ref2)).loadError);
  const ref3 = newRef();
  await redis.hset(keys.flags(ref3), 'personalisation', 'maybe');
  assert.ok((await consent.loadGuardState(ref3)).loadError);
  const ref4 = newRef();
  await redis.set(keys.consentState(ref4), 'wrong type');
  assert.ok((await consent.loadGuardState(ref4)).loadError);
});

test('the birth year of a profile write reaches the guard, moves the epoch, and is gone after erasure', async () => {
  const id = uniqueId('by');
  const ref = subjects.refOf(id);
  await subjects.upsert(id, { email: `${id}@example.com` });
  const before = await consent.loadGuardState(ref);
  assert.equal(before.birthYear, undefined);
  await subjects.upsert(id, { birth_year: '2013' });
  const after = await consent.loadGuardState(ref);
  assert.equal(after.birthYear, 2013);
  assert.ok((after.epoch ?? 0) > (before.epoch ?? 0), 'a new birth year can change the answer, so it moves the epoch');
  await subjects.erase(ref, 'test');
  assert.equal((await consent.loadGuardState(ref)).birthYear, undefined);
  const odd = newRef();
  await redis.hset(keys.flags(odd), 'birth_year', 'twenty');
  assert.match((await consent.loadGuardState(odd)).loadError ?? '', /birth year/);
});

test('bulk load returns states in input order across several round trips, isolating a bad subject', async () => {
  const store = new ConsentStore({ redis, keys, bulkBatch: 7 });
  const refs = Array.from({ length: 20 }, newRef);
  for (const [i, ref] of refs.entries()) if (i % 2 === 0) await consent.append(consentEvent(ref));
  await redis.set(keys.consentState(refs[5]!), 'wrong type');
  const states = await store.loadGuardStates(refs);
  assert.equal(states.length, 20);
  states.forEach((s, i) => {
    if (i === 5) return assert.ok(s.loadError);
    assert.equal(s.loadError, undefined);
    assert.equal(Object.keys(s.consent).length, i % 2 === 0 ? 1 : 0);
    if (i % 2 === 0) assert.equal(Object.values(s.consent)[0]?.subjectRef, refs[i]);
  });
});

/** `f`'s result and the scripts (EVALSHA or EVAL) this file's client sent while it ran. */
async function countingScripts<T>(f: () => Promise<T>): Promise<[T, number]> {
  let n = 0;
  const send = redis.sendCommand;
  redis.sendCommand = function (this: Redis, cmd, ...rest) {
    if (cmd.name === 'evalsha' || cmd.name === 'eval') n++;
    return send.call(this, cmd, ...rest);
  } as typeof send;
  try {
    return [await f(), n];
  } finally {
    redis.sendCommand = send;
  }
}

test('on one node a batch of guard states with send records and cap windows is one script call, with the same answers as one script per subject', async () => {
  const refs = Array.from({ length: 20 }, newRef);
  for (const [i, ref] of refs.entries()) {
    if (i % 2 === 0) await consent.append(consentEvent(ref));
    if (i % 3 === 0) await consent.suppress(ref, 'complaint', 'fbl', { channel: 'email' });
    if (i % 4 === 0) await consent.setPersonalisation(ref, 'off');
    if (i % 5 === 0) await subjects.erase(ref, 'dsar');
    if (i % 2 === 1) await redis.set(`${keys.epoch(ref)}:record`, `{"n":${i}}`);
    // Cap windows: some sends by other steps, and for some this step's own slot, before and after the window start.
    if (i % 3 === 1) await redis.zadd(`${keys.epoch(ref)}:cap`, 1_000, 'other:a', 5_000, 'other:b', 6_000, 'step');
    if (i % 3 === 2) await redis.zadd(`${keys.epoch(ref)}:cap`, 1_000, 'step');
  }
  const extra = (ref: string) => `${keys.epoch(ref as never)}:record`;
  const cap = { key: (ref: string) => `${keys.epoch(ref as never)}:cap`, sinceMs: 2_000, member: 'step' };
  const batched = new ConsentStore({ redis, keys, bulkBatch: 7 });
  // The same client as a cluster client looks: one script per subject, as in a Redis Cluster.
  const perSubject = new ConsentStore({
    redis: Object.assign(Object.create(redis) as Redis, { isCluster: true }),
    keys,
    bulkBatch: 7,
  });
  // Each script once first, so none is counted twice (EVALSHA refused as unknown, then EVAL).
  await batched.loadGuardStatesWith(refs.slice(0, 1), extra, cap);
  await batched.loadGuardStatesWith(refs.slice(0, 1), extra);
  await perSubject.loadGuardStatesWith(refs.slice(0, 1), extra, cap);
  await perSubject.loadGuardStatesWith(refs.slice(0, 1), extra);
  for (const read of [undefined, cap]) {
    const [one, batches] = await countingScripts(() => batched.loadGuardStatesWith(refs, extra, read));
    const [each, calls] = await countingScripts(() => perSubject.loadGuardStatesWith(refs, extra, read));
    assert.deepEqual(one, each);
    assert.equal(batches, 3, 'three batches of at most 7, one script call each');
    assert.equal(calls, 20, 'one script call per subject');
  }
  // The answers are the subjects' own: spot-check a few against what was written.
  const capped = await batched.loadGuardStatesWith(refs, extra, cap);
  assert.equal(capped[0]!.state.erased, true);
  assert.equal(capped[1]!.extra, '{"n":1}');
  assert.deepEqual(capped[1]!.capWindow, { used: 2, held: true });
  assert.deepEqual(capped[2]!.capWindow, { used: 0, held: false });
  assert.deepEqual(capped[3]!.capWindow, { used: 0, held: false });
  assert.equal(capped[4]!.state.personalisation, 'off');
  assert.equal(Object.keys(capped[6]!.state.consent).length, 1);
});
