import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { defineCampaign } from '../../../domain/campaign.js';
import { journeyWorkflowId } from '../../../activities/campaign.js';
import { journeyStarter } from '../../../infra/temporal/journeys.js';
import type { JourneyState } from '../../../workflows/signals.js';
import { useEngine } from '../../helpers/engine.js';
import { uniqueId } from '../../helpers/services.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const pub = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const engine = useEngine({ env: { DKIM_DOMAIN: 'shop.example', DKIM_SELECTOR: 'cf2026', DKIM_PRIVATE_KEY: pem } });

const oneSend = () =>
  defineCampaign({
    id: uniqueId('d'),
    name: 'Delivery',
    description: 'delivery test',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'newsletter-subscribers' },
    steps: [{ id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' }],
  });

async function run(ref: string, campaign = oneSend()): Promise<JourneyState> {
  await journeyStarter(engine.client, engine.taskQueue)(journeyWorkflowId(campaign.id, ref), {
    v: 1,
    campaign,
    campaignVersion: 't',
    subjectRef: ref,
  });
  return (await engine.client.workflow.getHandle(journeyWorkflowId(campaign.id, ref)).result()) as JourneyState;
}

async function seed() {
  const address = `${uniqueId('dl')}@example.org`;
  const ref = await engine.seed(uniqueId('s'), { email: address, first_name: 'Dora' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  return { address, ref };
}

test('DKIM signs the message with List-Unsubscribe and List-Unsubscribe-Post in h=, and the signature verifies', async () => {
  const { address, ref } = await seed();
  assert.equal((await run(ref)).history[0]?.outcome, 'sent');
  const raw = readFileSync(engine.sink.received.find((m) => m.envelopeTo.includes(address))!.file);
  const resolver = async (name: string, type: string) => {
    if (name === 'cf2026._domainkey.shop.example' && type === 'TXT') return [[`v=DKIM1; k=rsa; p=${pub}`]];
    throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  };
  const res = (await dkimVerify(raw, { resolver })) as {
    results: Array<{ status: { result: string }; signingHeaders: { keys: string } }>;
  };
  const sig = res.results[0]!;
  assert.equal(sig.status.result, 'pass');
  const signed = sig.signingHeaders.keys.toLowerCase().split(': ');
  assert.ok(
    signed.includes('list-unsubscribe') && signed.includes('list-unsubscribe-post'),
    `h= covers the one-click headers (${sig.signingHeaders.keys})`,
  );
  // Oversigned: h= names each one-click header once more than present, so a copy added in transit breaks the signature.
  const h = /\bh=([^;]+)/
    .exec(raw.toString('latin1').replace(/\r\n\s+/g, ''))![1]!
    .toLowerCase()
    .split(':')
    .map((x) => x.trim());
  assert.equal(h.filter((x) => x === 'list-unsubscribe').length, 2);
  assert.equal(h.filter((x) => x === 'list-unsubscribe-post').length, 2);
  for (const forged of [
    'List-Unsubscribe: <https://attacker.example/u>\r\n',
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n',
  ]) {
    const tampered = (await dkimVerify(Buffer.concat([Buffer.from(forged), raw]), { resolver })) as typeof res;
    assert.notEqual(tampered.results[0]!.status.result, 'pass', `a prepended ${forged.split(':')[0]} must not verify`);
  }
});

test('a hard bounce (550) is logged as a failed delivery and suppresses the subject for every later send', async () => {
  const { address, ref } = await seed();
  engine.sink.failRecipients((a) => a === address, 550, '5.1.1 no such user');
  const first = await run(ref);
  assert.deepEqual([first.history[0]?.outcome, first.history[0]?.reasons], ['failed', ['hard_bounce']]);
  const entries = [];
  for await (const e of engine.services.log.query({ subjectRef: ref, kind: 'delivery' })) entries.push(e);
  assert.deepEqual(
    entries.map((e) => [e.outcome, e.smtpCode, e.result]),
    [['failed', 550, 'hard_bounce']],
  );
  assert.ok((await engine.services.consent.suppressions(ref as never)).some((s) => s.kind === 'hard_bounce'));
  const second = await run(ref);
  assert.ok(second.history[0]?.reasons?.includes('suppressed'));
});

test('a 4xx answer is retried with backoff and the message then goes out once', async () => {
  const { address, ref } = await seed();
  engine.sink.failRecipients((a) => a === address, 451, '4.3.0 try again later', 1);
  const state = await run(ref);
  assert.equal(state.history[0]?.outcome, 'sent');
  assert.equal(engine.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 1);
  const decisions = [];
  for await (const e of engine.services.log.query({ subjectRef: ref, kind: 'decision' })) decisions.push(e);
  assert.equal(decisions.length, 1, 'the retry re-checked the guard and reused the decision of record');
  const deliveries = [];
  for await (const e of engine.services.log.query({ subjectRef: ref, kind: 'delivery' })) deliveries.push(e);
  assert.deepEqual(
    deliveries.map((e) => [e.outcome, e.decisionId]),
    [['sent', decisions[0]!.id]],
  );
});
