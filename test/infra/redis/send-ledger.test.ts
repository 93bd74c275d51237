import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SendLedger, type LedgerRecord } from '../../../infra/redis/send-ledger.js';
import { consentEvent, testStores } from '../../helpers/consent-fixtures.js';
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

test('a claim after the consent epoch moved reserves nothing and leaves the decided record to be closed', async () => {
  const { ref, rec, scope } = await subject();
  await consent.append(consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }));
  assert.deepEqual(await ledger.claim(ref, scope, rec, true, 'm1', rec.at, ['first_name']), { status: 'epoch_moved' });
  const [stored] = await ledger.lookup([{ ref, scope }]);
  assert.equal(stored?.state, 'decided');
  assert.equal(await redis.zcard(keys.inflight(ref)), 0);
});

test('a second claim of the same run is refused once the first reserved, and a resumed one needs the same decision', async () => {
  const { ref, rec, scope } = await subject();
  assert.equal((await ledger.claim(ref, scope, rec, true, 'm1', rec.at, [])).status, 'ok');
  assert.deepEqual(await ledger.claim(ref, scope, rec, true, 'm1', rec.at, []), { status: 'busy' });
  assert.equal(
    (await ledger.claim(ref, scope, rec, false, 'm1', rec.at, [])).status,
    'ok',
    'its own reservation resumes after a crash',
  );
  assert.deepEqual(await ledger.claim(ref, scope, { ...rec, decisionId: 'd2' }, false, 'm1', rec.at, []), {
    status: 'busy',
  });
  assert.deepEqual(await ledger.claim(ref, uniqueId('other'), rec, false, 'm1', rec.at, []), { status: 'missing' });
});

test('a claim of an erased subject reports it erased, so the send fails closed', async () => {
  const { ref, rec, scope } = await subject();
  await subjects.erase(ref, 'test');
  const epoch = Number(await redis.get(keys.epoch(ref)));
  const r = await ledger.claim(ref, scope, { ...rec, epoch }, true, 'm1', rec.at, ['first_name']);
  assert.equal(r.status, 'ok');
  if (r.status === 'ok') assert.deepEqual(subjects.openFields(ref, ['first_name'], r.profile), { status: 'erased' });
});
