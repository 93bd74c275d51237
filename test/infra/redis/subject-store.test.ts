import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createEnvelope } from '../../../infra/crypto/envelope.js';
import { SubjectStore } from '../../../infra/redis/subject-store.js';
import { consentEvent, testStores } from '../../helpers/consent-fixtures.js';
import { commandsDuring } from '../../helpers/commands.js';
import { uniqueId } from '../../helpers/services.js';

const { redis, keys, subjects, consent, pseudonymKey, masterKey } = testStores();
const profile = { email: 'Alice@Example.com', first_name: 'Alice', city: 'Berlin', phone: '+4930123456' };

test('profile fields are encrypted at rest: no raw Redis value holds the plaintext', async () => {
  const id = uniqueId('alice');
  const { ref } = await subjects.upsert(id, profile);
  const raw = await redis.hgetall(keys.profile(ref));
  assert.deepEqual(Object.keys(raw).sort(), Object.keys(profile).sort());
  const everything = JSON.stringify(raw) + (await redis.get(keys.dataKey(ref)));
  for (const v of [...Object.values(profile), id]) assert.ok(!everything.includes(v), `plaintext ${v} found in Redis`);
  assert.ok(!ref.includes(id));
});

test('minimal reads return only the requested fields', async () => {
  const { ref } = await subjects.upsert(uniqueId('s'), profile);
  const r = await subjects.readFields(ref, ['first_name', 'city']);
  assert.deepEqual(r, { status: 'found', fields: { first_name: 'Alice', city: 'Berlin' } });
  assert.deepEqual(await subjects.readFields(ref, []), { status: 'found', fields: {} });
  assert.deepEqual(await subjects.readFields(ref, ['loyalty_tier']), { status: 'found', fields: {} });
  const all = await subjects.readAllForAccessRequest(ref);
  assert.deepEqual(all, { status: 'found', fields: profile });
});

test('a page of minimal reads answers each subject as its own read does, in one command', async () => {
  // Addresses of their own (an erased one stays refused): the other tests use the shared profile's.
  const own = () => ({ first_name: 'Alice', city: 'Berlin', email: `${uniqueId('page')}@example.org` });
  const found = await subjects.upsert(uniqueId('page'), own());
  const partial = await subjects.upsert(uniqueId('page'), { email: own().email });
  const erased = await subjects.upsert(uniqueId('page'), own());
  await subjects.erase(erased.ref, 'dsar');
  const refs = [found.ref, subjects.refOf(uniqueId('nobody')), erased.ref, partial.ref];
  const fields = ['first_name', 'city'];
  const { result: page, commands } = await commandsDuring(redis, () => subjects.readFieldsMany(refs, fields));
  assert.deepEqual(page, [
    { status: 'found', fields: { first_name: 'Alice', city: 'Berlin' } },
    { status: 'not_found' },
    { status: 'erased' },
    { status: 'found', fields: {} },
  ]);
  assert.deepEqual(page, await Promise.all(refs.map((ref) => subjects.readFields(ref, fields))));
  assert.deepEqual(commands, ['evalsha']);
  assert.deepEqual(await subjects.readFieldsMany([], fields), []);
});

test('the store offers no read-everything call other than the access-request one', () => {
  const methods = Object.getOwnPropertyNames(SubjectStore.prototype).filter((m) => /read|get|all/i.test(m));
  assert.deepEqual(methods.sort(), ['readAllForAccessRequest', 'readFields', 'readFieldsMany']);
});

test('unknown subjects read as not_found', async () => {
  assert.deepEqual(await subjects.readFields(subjects.refOf(uniqueId('nobody')), ['email']), { status: 'not_found' });
});

test('a second upsert reuses the data key and merges fields', async () => {
  const id = uniqueId('s');
  const { ref } = await subjects.upsert(id, { first_name: 'A' });
  const dek = await redis.get(keys.dataKey(ref));
  await subjects.upsert(id, { city: 'Paris' });
  assert.equal(await redis.get(keys.dataKey(ref)), dek);
  assert.deepEqual(await subjects.readFields(ref, ['first_name', 'city']), {
    status: 'found',
    fields: { first_name: 'A', city: 'Paris' },
  });
});

test('concurrent first writes for one subject agree on one data key', async () => {
  const id = uniqueId('race');
  await Promise.all([subjects.upsert(id, { first_name: 'A' }), subjects.upsert(id, { city: 'B' })]);
  const ref = subjects.refOf(id);
  assert.deepEqual(await subjects.readFields(ref, ['first_name', 'city']), {
    status: 'found',
    fields: { first_name: 'A', city: 'B' },
  });
});

test('a subject repeated within one batch keeps one data key and the later values win', async () => {
  const id = uniqueId('dup');
  const r = await subjects.upsertMany([
    { subjectId: id, fields: { city: 'A', first_name: 'X' } },
    { subjectId: id, fields: { city: 'B' } },
  ]);
  assert.deepEqual(
    r.map((x) => x.status),
    ['written', 'written'],
  );
  assert.deepEqual(await subjects.readFields(subjects.refOf(id), ['city', 'first_name']), {
    status: 'found',
    fields: { city: 'B', first_name: 'X' },
  });
});

test('erasure crypto-shreds: key and profile are gone, a tombstone and erased suppression remain', async () => {
  const id = uniqueId('erase');
  const { ref } = await subjects.upsert(id, profile);
  const ciphertext = await redis.hget(keys.profile(ref), 'email');
  const wrapped = await redis.get(keys.dataKey(ref));
  assert.deepEqual(await subjects.erase(ref, 'dsar'), { alreadyErased: false });
  assert.equal(await redis.exists(keys.dataKey(ref), keys.profile(ref)), 0);
  assert.equal(await subjects.isErased(ref), true);
  assert.deepEqual(await subjects.readFields(ref, ['email']), { status: 'erased' });
  assert.deepEqual(
    (await consent.suppressions(ref)).map((s) => s.kind),
    ['erased'],
  );
  assert.equal(await redis.sismember(keys.subjectIndex(), ref), 0);
  assert.equal(await redis.hget(keys.addressIndex(), subjects.addressHashOf('alice@example.com')), ref);
  // Even a copy of the ciphertext (a backup) stays unreadable: the only key that opened it is gone.
  assert.ok(ciphertext && wrapped);
  assert.deepEqual(await subjects.erase(ref, 'dsar'), { alreadyErased: true });
  assert.equal(await redis.get(keys.dataKey(ref)), null);
});

test('re-importing an erased subject is refused until a new consent is recorded', async () => {
  const id = uniqueId('back');
  const { ref } = await subjects.upsert(id, profile);
  await consent.append(consentEvent(ref, { occurredAt: new Date(Date.now() - 60_000).toISOString() }));
  await subjects.erase(ref, 'dsar');
  assert.deepEqual(await subjects.upsert(id, profile), {
    status: 'refused',
    ref,
    reason: 'erased_without_new_consent',
  });
  assert.equal(await redis.exists(keys.profile(ref)), 0);
  await consent.append(consentEvent(ref, { type: 'withdrawn' }));
  assert.equal((await subjects.upsert(id, profile)).status, 'refused');
  await new Promise((r) => setTimeout(r, 5));
  await consent.append(consentEvent(ref));
  assert.deepEqual(await subjects.upsert(id, profile), { status: 'written', ref, readmitted: true });
  assert.equal(await subjects.isErased(ref), false);
  assert.deepEqual(await subjects.readFields(ref, ['first_name']), {
    status: 'found',
    fields: { first_name: 'Alice' },
  });
});

test('an erased address under a new subject id is refused too', async () => {
  const email = `${uniqueId('e')}@example.com`;
  const { ref } = await subjects.upsert(uniqueId('old'), { email });
  await subjects.erase(ref, 'dsar');
  const r = await subjects.upsert(uniqueId('new'), { email: ` ${email.toUpperCase()} ` });
  assert.equal(r.status, 'refused');
});

test('paging subjects with SSCAN visits every indexed ref', async () => {
  const own = testStores();
  const ids = Array.from({ length: 25 }, () => uniqueId('p'));
  await own.subjects.upsertMany(ids.map((subjectId) => ({ subjectId, fields: { first_name: 'x' } })));
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const page = await own.subjects.pageSubjects(cursor, 10);
    page.refs.forEach((r) => seen.add(r));
    cursor = page.cursor;
  } while (cursor !== '0');
  assert.deepEqual([...seen].sort(), ids.map((i) => own.subjects.refOf(i)).sort());
});

test('master-key rotation: data keys rewrap to the new master key and profiles stay readable', async () => {
  const { ref } = await subjects.upsert(uniqueId('rot'), profile);
  const newKey = randomBytes(32);
  const rotated = new SubjectStore({
    redis,
    keys,
    pseudonymKey,
    envelope: createEnvelope({ current: newKey, previous: [masterKey] }),
  });
  assert.equal(await rotated.rewrapDataKey(ref), 'rewrapped');
  assert.equal(await rotated.rewrapDataKey(ref), 'current');
  const retired = new SubjectStore({ redis, keys, pseudonymKey, envelope: createEnvelope({ current: newKey }) });
  assert.deepEqual(await retired.readFields(ref, ['city']), { status: 'found', fields: { city: 'Berlin' } });
  await assert.rejects(subjects.readFields(ref, ['city']), /UnknownMasterKeyError|not configured/);
});
