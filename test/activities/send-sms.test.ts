import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from '@temporalio/client';
import { runGuardedSends } from '../../activities/send-pipeline.js';
import { DecisionLogUnavailableError } from '../../infra/redis/decision-log-errors.js';
import { createSmsChannel } from '../../infra/sms/channel.js';
import { testConfig } from '../helpers/config.js';
import { consentEvent } from '../helpers/engine.js';
import { unreachableLog } from '../helpers/unreachable-log.js';
import { testRedis, uniqueId } from '../helpers/services.js';
import { smsPath } from '../helpers/sms-path.js';

// The SMS branch of the one send path, on real Redis and the embedded SMSC over TCP.
const { redis, prefix } = testRedis();
const config = testConfig({ REDIS_KEY_PREFIX: prefix });
const path = smsPath(config, { connect: async () => redis });
const { spec } = path;

let n = 0;
async function subject() {
  const phone = `+86139${String(Date.now() % 100000).padStart(5, '0')}${String(n++ % 1000).padStart(3, '0')}`;
  return { ref: await path.seed(phone), phone };
}

async function entriesOf(ref: string) {
  const out = [];
  for await (const e of path.services.log.query({ subjectRef: ref as never })) out.push(e);
  return out;
}

test('with no SMS transport configured an allowed SMS fails closed as channel_transport_missing, and nothing is submitted', async () => {
  const { ref, phone } = await subject();
  const [o] = await runGuardedSends(path.depsWithoutSms, spec(), [ref]);
  assert.equal(o?.status, 'failed');
  assert.deepEqual(o?.reasons, ['channel_transport_missing']);
  assert.equal(path.smsc.received.filter((m) => m.to === phone).length, 0);
  assert.deepEqual(
    (await entriesOf(ref)).map((e) => `${e.kind}:${e.outcome}`),
    ['decision:allow', 'delivery:failed'],
  );
});

test('when the decision log cannot be written, no SMS reaches the SMSC', async () => {
  const { ref, phone } = await subject();
  const broken = unreachableLog(config, prefix);
  await assert.rejects(
    runGuardedSends({ ...path.deps, appendLog: (e) => broken.log.appendBatch(e) }, spec(), [ref]),
    DecisionLogUnavailableError,
  );
  broken.close();
  assert.equal(path.smsc.received.filter((m) => m.to === phone).length, 0);
  const [ok] = await runGuardedSends(path.deps, spec(), [ref]);
  assert.equal(ok?.status, 'sent', 'the same send with a working log goes out');
  assert.equal(path.smsc.received.filter((m) => m.to === phone).length, 1);
});

test('an SMSC that cannot be reached defers the recipient (smpp_unreachable) instead of failing it', async () => {
  const { ref } = await subject();
  const away = createSmsChannel(config, {
    smppUrl: 'smpp://x:y@127.0.0.1:1',
    redis,
    client: {} as Client,
    taskQueue: 'unused',
    services: path.services,
  });
  const [o] = await runGuardedSends({ ...path.deps, sms: away.channel }, spec(), [ref]);
  await away.close();
  assert.equal(o?.status, 'deferred');
  assert.deepEqual(o?.reasons, ['smpp_unreachable']);
});

test('a phone number that is not valid E.164 is a permanent failure that suppresses SMS for the subject', async () => {
  const r = await path.services.subjects.upsert(uniqueId('s'), {
    phone: '+8612',
    first_name: '小红',
    preferred_store: '徐汇店',
  });
  if (r.status !== 'written') return assert.fail(`seed refused: ${r.reason}`);
  await path.services.consent.append(consentEvent(r.ref, { purpose: 'marketing.sms.promotions', channel: 'sms' }));
  const [o] = await runGuardedSends(path.deps, spec(), [r.ref]);
  assert.equal(o?.status, 'failed');
  assert.deepEqual(o?.reasons, ['sms_invalid_number']);
  assert.ok(
    (await path.services.consent.suppressions(r.ref)).some((s) => s.channel === 'sms' && s.kind === 'hard_bounce'),
  );
});
