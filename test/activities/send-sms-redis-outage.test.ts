import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { runGuardedSends, type SendSpec } from '../../activities/send-pipeline.js';
import type { ActivityDeps } from '../../activities/index.js';
import { createServices } from '../../infra/compose.js';
import { freePort } from '../../infra/embedded/process.js';
import { createSmsChannel, type RunningSmsChannel } from '../../infra/sms/channel.js';
import { startSmppSink, type SmppSink } from '../../infra/sms/smpp-server.js';
import { createMailer, type Mailer } from '../../infra/smtp/transport.js';
import { policy } from '../../policy/index.js';
import { buildActivityDeps } from '../../worker.js';
import { testConfig } from '../helpers/config.js';
import { consentEvent } from '../helpers/engine.js';
import { exampleContent } from '../helpers/example-workspace.js';
import { PrivateRedis } from '../helpers/private-redis.js';
import { uniqueId } from '../helpers/services.js';

// Redis dies after the SMSC accepted an SMS and before the acceptance is recorded: a private Redis of this file,
// killed at that moment and restarted from its AOF, with the embedded SMSC over TCP.
const config = testConfig({ REDIS_KEY_PREFIX: 'sms-outage:' });
let priv: PrivateRedis;
let redis: Redis;
let smsc: SmppSink;
let sms: RunningSmsChannel;
let mailer: Mailer;
let deps: ActivityDeps;
let services: ReturnType<typeof createServices>;

before(async () => {
  priv = new PrivateRedis(await freePort());
  await priv.start();
  // The worker's own client settings: a command fails after a few reconnects instead of waiting forever.
  redis = new Redis(priv.url, { maxRetriesPerRequest: 3, commandTimeout: 5000 });
  redis.on('error', () => {});
  services = createServices(config, redis, policy);
  smsc = await startSmppSink({ outbox: join(config.dataDir, uniqueId('sms')) });
  mailer = createMailer(config, 'smtp://127.0.0.1:1');
  sms = createSmsChannel(config, { smppUrl: smsc.url, redis, client: {} as Client, taskQueue: 'unused', services });
  deps = buildActivityDeps(config, {
    redis,
    mailer,
    sms: sms.channel,
    client: {} as Client,
    taskQueue: 'unused',
    content: await exampleContent(),
  });
});
after(async () => {
  await sms.close();
  mailer.close();
  await smsc.stop();
  redis.disconnect();
  await priv.stop();
});

const spec = (): SendSpec => ({
  campaignId: uniqueId('c'),
  campaignVersion: 'v',
  workflowId: uniqueId('wf'),
  runId: 'run',
  stepId: 'send-sms',
  purpose: 'marketing.sms.promotions',
  channel: 'sms',
  processor: 'sms-gateway',
  templateId: 'sms-cn-promo',
});

async function subject(phone: string) {
  const r = await services.subjects.upsert(uniqueId('s'), { phone, first_name: '小红', preferred_store: '徐汇店' });
  if (r.status !== 'written') throw new Error('seed refused');
  await services.consent.append(consentEvent(r.ref, { purpose: 'marketing.sms.promotions', channel: 'sms' }));
  return r.ref;
}

/** The deps with Redis killed right after the reservation (so the SMSC accepts with Redis gone) and `onSleep` run on each wait. */
function killedAfterClaim(onSleep: () => Promise<void>, sleeps: { n: number }): ActivityDeps {
  const ledger = Object.assign(
    Object.create(Object.getPrototypeOf(deps.ledger) as object),
    deps.ledger,
  ) as typeof deps.ledger;
  ledger.claim = async (...a) => {
    const claimed = await deps.ledger.claim(...a);
    await priv.kill();
    return claimed;
  };
  return { ...deps, ledger, sleep: async () => ((sleeps.n += 1), onSleep()) };
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
  assert.equal(smsc.received.filter((m) => m.to === phone).length, 1);
  const [rec] = await deps.ledger.lookup([{ ref, scope: `${s.workflowId}:${s.stepId}` }]);
  assert.deepEqual([rec?.state, rec?.outcome], ['committed', 'sent'], 'the send is committed, not left reserved');
  const id = smsc.received.find((m) => m.to === phone)!.messageIds[0]!;
  assert.ok(await redis.exists(services.keys.smsMessage(id)), 'the SMSC id is remembered for its receipts');
  const [again] = await runGuardedSends(deps, s, [ref]);
  assert.equal(again?.status, 'sent');
  assert.equal(smsc.received.filter((m) => m.to === phone).length, 1, 'the retry found the commit and did not resend');
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
  assert.equal(smsc.received.filter((m) => m.to === phone).length, 1);
  await priv.start();
  const [rec] = await deps.ledger.lookup([{ ref, scope: `${s.workflowId}:${s.stepId}` }]);
  assert.equal(rec?.state, 'reserved', 'the retry sees the ambiguous window, as it would for an email');
});
