import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { runGuardedSends } from '../../activities/send-pipeline.js';
import type { ActivityDeps } from '../../activities/index.js';
import { freePort } from '../../infra/embedded/process.js';
import { testConfig } from '../helpers/config.js';
import { PrivateRedis } from '../helpers/private-redis.js';
import { smsPath } from '../helpers/sms-path.js';

// Redis dies after the SMSC accepted an SMS and before the acceptance is recorded: a private Redis of this file,
// killed at that moment and restarted from its AOF, with the embedded SMSC over TCP.
const config = testConfig({ REDIS_KEY_PREFIX: 'sms-outage:' });
let priv: PrivateRedis;
const path = smsPath(config, {
  connect: async () => {
    priv = new PrivateRedis(await freePort());
    await priv.start();
    // The worker's own client settings: a command fails after a few reconnects instead of waiting forever.
    const redis = new Redis(priv.url, { maxRetriesPerRequest: 3, commandTimeout: 5000 });
    redis.on('error', () => {});
    return redis;
  },
  close: async (redis) => {
    redis.disconnect();
    await priv.stop();
  },
});
const { spec } = path;
const subject = (phone: string) => path.seed(phone);

/** The deps with Redis killed right after the reservation (so the SMSC accepts with Redis gone) and `onSleep` run on each wait. */
function killedAfterClaim(onSleep: () => Promise<void>, sleeps: { n: number }): ActivityDeps {
  const ledger = Object.assign(
    Object.create(Object.getPrototypeOf(path.deps.ledger) as object),
    path.deps.ledger,
  ) as typeof path.deps.ledger;
  ledger.claim = async (...a) => {
    const claimed = await path.deps.ledger.claim(...a);
    await priv.kill();
    return claimed;
  };
  return { ...path.deps, ledger, sleep: async () => ((sleeps.n += 1), onSleep()) };
}

test('Redis lost between the SMSC accepting an SMS and recording it: the record waits for Redis, the send is committed once, and a retry does not resend', async () => {
  const phone = '+8613900112233';
  const ref = await subject(phone);
  const s = spec();
  const sleeps = { n: 0 };
  // The first wait brings Redis back (same port, same AOF): a short outage, well inside the patience.
  const [out] = await runGuardedSends(
    killedAfterClaim(async () => void (sleeps.n === 1 && (await priv.start())), sleeps),
    s,
    [ref],
  );
  assert.ok(sleeps.n >= 1, 'the record of the accepted SMS waited for Redis');
  assert.equal(out?.status, 'sent');
  assert.equal(path.smsc.received.filter((m) => m.to === phone).length, 1);
  const [rec] = await path.deps.ledger.lookup([{ ref, scope: `${s.workflowId}:${s.stepId}` }]);
  assert.deepEqual([rec?.state, rec?.outcome], ['committed', 'sent'], 'the send is committed, not left reserved');
  const id = path.smsc.received.find((m) => m.to === phone)!.messageIds[0]!;
  assert.ok(await path.redis.exists(path.services.keys.smsMessage(id)), 'the SMSC id is remembered for its receipts');
  const [again] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(again?.status, 'sent');
  assert.equal(
    path.smsc.received.filter((m) => m.to === phone).length,
    1,
    'the retry found the commit and did not resend',
  );
});

test('Redis gone for longer than the patience: the batch fails with the accepted SMS submitted once, and nothing is committed', async () => {
  const phone = '+8613900112244';
  const ref = await subject(phone);
  const s = spec();
  const sleeps = { n: 0 };
  await assert.rejects(
    runGuardedSends(
      killedAfterClaim(async () => {}, sleeps),
      s,
      [ref],
      { commitPatienceMs: 750 },
    ),
  );
  assert.equal(sleeps.n, 2, 'three attempts for 750 ms of patience, a wait between each');
  assert.equal(path.smsc.received.filter((m) => m.to === phone).length, 1);
  await priv.start();
  const [rec] = await path.deps.ledger.lookup([{ ref, scope: `${s.workflowId}:${s.stepId}` }]);
  assert.equal(rec?.state, 'reserved', 'the retry sees the ambiguous window, as it would for an email');
});
