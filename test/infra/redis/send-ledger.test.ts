import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SubjectRef } from '../../../domain/ids.js';
import { SendLedger, type LedgerRecord } from '../../../infra/redis/send-ledger.js';
import { consentEvent, testStores } from '../../helpers/consent-fixtures.js';
import { commandsDuring } from '../../helpers/commands.js';
import { uniqueId } from '../../helpers/services.js';

const { redis, keys, subjects, consent } = testStores();
const ledger = new SendLedger(redis, keys);

async function subject() {
  const { ref } = await subjects.upsert(uniqueId('s'), {
    email: `${uniqueId('a')}@example.org`,
    first_name: 'Ada',
    city: 'Berlin',
  });
  await consent.append(consentEvent(ref, { purpose: 'marketing.email.newsletter' }));
  const epoch = Number(await redis.get(keys.epoch(ref)));
  const rec: LedgerRecord = {
    runId: 'run',
    state: 'decided',
    at: new Date().toISOString(),
    decisionId: 'd1',
    decision: 'allow',
    decisions: 1,
    epoch,
    reasons: [],
    logged: false,
    deferrals: 0,
    sentBefore: false,
  };
  return { ref, rec, scope: uniqueId('wf') };
}

test('a claim reserves a fresh decision and reads only the released fields, sealed', async () => {
  const { ref, rec, scope } = await subject();
  const r = await ledger.claim(ref, scope, rec, true, 'm1', rec.at, ['first_name']);
  assert.equal(r.status, 'ok');
  if (r.status !== 'ok') return;
  assert.equal(r.profile.values.length, 1);
  assert.ok(!String(r.profile.values[0]).includes('Ada'), 'values stay encrypted until the subject store opens them');
  assert.deepEqual(subjects.openFields(ref, ['first_name'], r.profile), {
    status: 'found',
    fields: { first_name: 'Ada' },
  });
  const [stored] = await ledger.lookup([{ ref, scope }]);
  assert.deepEqual([stored?.state, stored?.messageId], ['reserved', 'm1']);
  assert.equal(
    await redis.zcard(keys.inflight(ref)),
    1,
    'the reservation holds back a withdrawal until the send is answered',
  );
});

test('the records of many sends are read in one command, a missing one as undefined', async () => {
  const a = await subject();
  const b = await subject();
  await ledger.put(a.scope, [[a.ref, a.rec]]);
  await ledger.put(b.scope, [[b.ref, { ...b.rec, decisionId: 'd2' }]]);
  const items = [
    { ref: a.ref, scope: a.scope },
    { ref: b.ref, scope: uniqueId('wf') },
    { ref: b.ref, scope: b.scope },
  ];
  const { result, commands } = await commandsDuring(redis, () => ledger.lookup(items));
  assert.deepEqual(result, [a.rec, undefined, { ...b.rec, decisionId: 'd2' }]);
  assert.deepEqual(commands, ['mget']);
  assert.deepEqual(await ledger.lookup([]), []);
});

test('a claim after the consent epoch moved reserves nothing and leaves the decided record to be closed', async () => {
  const { ref, rec, scope } = await subject();
  await consent.append(consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }));
  assert.deepEqual(await ledger.claim(ref, scope, rec, true, 'm1', rec.at, ['first_name']), { status: 'epoch_moved' });
  const [stored] = await ledger.lookup([{ ref, scope }]);
  assert.equal(stored?.state, 'decided');
  assert.equal(await redis.zcard(keys.inflight(ref)), 0);
});

/** What a lease running out looks like in Redis: the reservation's in-flight entry is in the past. */
const leaseRunsOut = (ref: SubjectRef, scope: string) => redis.zadd(keys.inflight(ref), 1, ledger.key(ref, scope));

test('a second claim of the same run is refused once the first reserved, and a resumed one needs the same decision', async () => {
  const { ref, rec, scope } = await subject();
  const first = { ...rec, owner: 'attempt-1' };
  assert.equal((await ledger.claim(ref, scope, first, true, 'm1', rec.at, [])).status, 'ok');
  assert.deepEqual(await ledger.claim(ref, scope, first, true, 'm1', rec.at, []), { status: 'busy' });
  assert.equal((await ledger.claim(ref, scope, first, false, 'm1', rec.at, [])).status, 'ok', 'its own attempt');
  assert.deepEqual(await ledger.claim(ref, scope, { ...first, decisionId: 'd2' }, false, 'm1', rec.at, []), {
    status: 'busy',
  });
  assert.deepEqual(await ledger.claim(ref, uniqueId('other'), rec, false, 'm1', rec.at, []), { status: 'missing' });
});

test('another attempt takes a reservation over only once its lease ran out, and the superseded one settles nothing', async () => {
  const { ref, rec, scope } = await subject();
  const first = { ...rec, owner: 'attempt-1' };
  const second = { ...rec, owner: 'attempt-2' };
  assert.equal((await ledger.claim(ref, scope, first, true, 'm1', rec.at, [])).status, 'ok');
  assert.deepEqual(await ledger.claim(ref, scope, second, false, 'm1', rec.at, []), { status: 'busy' });
  assert.deepEqual(await ledger.leased([{ ref, scope }]), [true]);
  assert.equal(
    await ledger.settle(ref, scope, { ...second, state: 'closed', outcome: 'failed' }),
    false,
    'a live reservation of another attempt is not closed under it',
  );
  await leaseRunsOut(ref, scope);
  assert.deepEqual(await ledger.leased([{ ref, scope }]), [false]);
  assert.equal((await ledger.claim(ref, scope, second, false, 'm1', rec.at, [])).status, 'ok', 'a stale one is');
  const failed: LedgerRecord = { ...first, state: 'closed', outcome: 'failed', reasons: ['smtp_rejected'] };
  assert.equal(await ledger.settle(ref, scope, failed), false, 'the first attempt was superseded');
  const sent: LedgerRecord = { ...second, state: 'committed', outcome: 'sent', messageId: 'm1' };
  assert.equal(await ledger.settle(ref, scope, sent), true);
  assert.equal(await ledger.settle(ref, scope, failed), false, 'nor does it overwrite the send of record');
  const [stored] = await ledger.lookup([{ ref, scope }]);
  assert.deepEqual([stored?.state, stored?.outcome, stored?.owner], ['committed', 'sent', 'attempt-2']);
  assert.equal(await redis.zcard(keys.inflight(ref)), 0, 'the commit cleared the reservation');
});

test('a claim of an erased subject reports it erased, so the send fails closed', async () => {
  const { ref, rec, scope } = await subject();
  await subjects.erase(ref, 'test');
  const epoch = Number(await redis.get(keys.epoch(ref)));
  const r = await ledger.claim(ref, scope, { ...rec, epoch }, true, 'm1', rec.at, ['first_name']);
  assert.equal(r.status, 'ok');
  if (r.status === 'ok') assert.deepEqual(subjects.openFields(ref, ['first_name'], r.profile), { status: 'erased' });
});

test("a claim writes the email's Message-ID index entry with the reservation on one node, beside it on a Redis Cluster, and none when refused", async () => {
  const index = (tag: string) => ({
    key: `${keys.emailMessage(uniqueId(tag))}`,
    value: `{"tag":"${tag}"}`,
    ttlSeconds: 600,
  });
  // The same client as a cluster client looks: the entry, in another slot, is written beside the script.
  const clusterLike = new SendLedger(Object.assign(Object.create(redis) as typeof redis, { isCluster: true }), keys);
  for (const [l, where] of [
    [ledger, 'one node'],
    [clusterLike, 'cluster'],
  ] as const) {
    const { ref, rec, scope } = await subject();
    const ok = index('ok');
    const r = await l.claim(ref, scope, rec, true, 'm1', rec.at, ['first_name'], undefined, ok);
    assert.equal(r.status, 'ok', where);
    if (r.status === 'ok') assert.deepEqual(subjects.openFields(ref, ['first_name'], r.profile).status, 'found');
    assert.equal(await redis.get(ok.key), ok.value, where);
    const ttl = await redis.ttl(ok.key);
    assert.ok(ttl > 590 && ttl <= 600, `${where}: kept ${ttl} s`);
  }
  // Refused (the epoch moved since the decision): on one node nothing is indexed, as nothing will be sent.
  const { ref, rec, scope } = await subject();
  await consent.append(consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }));
  const refused = index('refused');
  assert.deepEqual(await ledger.claim(ref, scope, rec, true, 'm1', rec.at, [], undefined, refused), {
    status: 'epoch_moved',
  });
  assert.equal(await redis.exists(refused.key), 0);
});
