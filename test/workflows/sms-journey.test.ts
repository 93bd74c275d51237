import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineCampaign } from '../../domain/campaign.js';
import { journeyWorkflowId } from '../../activities/campaign.js';
import { journeyStarter } from '../../infra/temporal/journeys.js';
import type { JourneyState } from '../../workflows/signals.js';
import { eventually, useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';
import { policy } from '../../policy/index.js';

const engine = useEngine({ sms: true });

const smsStep = () =>
  defineCampaign({
    id: uniqueId('sms'),
    name: 'SMS',
    description: 'sms test',
    purpose: 'marketing.sms.promotions',
    audience: { segment: 'sms-promotions-subscribers' },
    steps: [{ id: 'send-sms', type: 'send', channel: 'sms', template: 'sms-cn-promo', processor: 'sms-gateway' }],
  });

async function run(ref: string): Promise<JourneyState> {
  const c = smsStep();
  await journeyStarter(engine.client, engine.taskQueue)(journeyWorkflowId(c.id, ref), {
    v: 1,
    campaign: c,
    campaignVersion: 't',
    subjectRef: ref,
  });
  return (await engine.client.workflow.getHandle(journeyWorkflowId(c.id, ref)).result()) as JourneyState;
}

let n = 0;
// A unique valid mobile number per test (China Mobile 138 range).
const phone = (): string =>
  `+86138${String(Date.now() % 100000).padStart(5, '0')}${String(n++ % 1000).padStart(3, '0')}`;

async function seed(consent = true) {
  const number = phone();
  const fields = {
    phone: number,
    first_name: '小明',
    preferred_store: '静安店',
    last_name: 'Secretsurname',
    timezone: 'Asia/Shanghai',
  };
  const ref = await engine.seed(
    uniqueId('s'),
    fields,
    consent ? [{ purpose: 'marketing.sms.promotions', channel: 'sms' }] : [],
  );
  return { number, ref };
}

async function logOf(ref: string) {
  const out = [];
  for await (const e of engine.services.log.query({ subjectRef: ref })) out.push(e);
  return out;
}

const toNumber = (number: string) => engine.smsc.received.filter((m) => m.to === number);

test('a guarded SMS arrives at the SMSC in UCS-2 with the signature, the opt-out and only released fields, and its receipt is logged', async () => {
  const { number, ref } = await seed();
  const result = await run(ref);
  assert.equal(result.history[0]?.outcome, 'sent');
  const [sms, ...more] = toNumber(number);
  assert.ok(sms, 'the SMSC received the message');
  assert.equal(more.length, 0);
  assert.equal(sms.dataCoding, 8, 'Chinese text goes out as UCS-2');
  assert.ok(sms.text.startsWith(`【${policy.brand!.name}】小明您好：`), sms.text);
  assert.match(sms.text, /静安店.*回复TD退订$/);
  assert.doesNotMatch(sms.text, /Secretsurname/);
  const log = await eventually(
    async () => {
      const l = await logOf(ref);
      return l.some((e) => e.outcome === 'delivered') ? l : undefined;
    },
    20_000,
    'the delivery receipt in the log',
  );
  const decision = log.find((e) => e.kind === 'decision')!;
  assert.equal(decision.outcome, 'allow');
  assert.deepEqual([...decision.fieldsReleased].sort(), ['first_name', 'phone', 'preferred_store']);
  const sent = log.find((e) => e.outcome === 'sent')!;
  const receipt = log.find((e) => e.outcome === 'delivered')!;
  assert.ok(decision.seq < sent.seq, 'the decision was logged before the submit');
  assert.equal(receipt.kind, 'delivery');
  assert.equal(receipt.decisionId, decision.id);
  assert.equal(receipt.result, 'receipt_delivrd');
  assert.equal(receipt.messageId, sms.messageIds[0]);
});

test('a subject without SMS consent is denied and nothing reaches the SMSC', async () => {
  const { number, ref } = await seed(false);
  const result = await run(ref);
  assert.equal(result.history[0]?.outcome, 'denied');
  assert.equal(toNumber(number).length, 0);
  const decision = (await logOf(ref)).find((e) => e.kind === 'decision')!;
  assert.equal(decision.outcome, 'deny');
  assert.ok(decision.reasons.length > 0);
});

test('a reply "TD" withdraws SMS consent, and a later send is denied without reaching the SMSC', async () => {
  const { number, ref } = await seed();
  await engine.smsc.mo(number, ' td ');
  const withdrawn = await eventually(
    async () => {
      const e = (await engine.services.consent.projection(ref as never))['marketing.sms.promotions|sms'];
      return e?.type === 'withdrawn' ? e : undefined;
    },
    20_000,
    'the withdrawal',
  );
  assert.equal(withdrawn.method, 'sms_reply');
  assert.equal(withdrawn.source, 'subject');
  const result = await run(ref);
  assert.equal(result.history[0]?.outcome, 'denied');
  assert.equal(toNumber(number).length, 0);
  const decision = (await logOf(ref)).find((e) => e.kind === 'decision')!;
  assert.ok(decision.reasons.includes('consent_withdrawn'), decision.reasons.join(','));
});

test('a reply that is not an opt-out keyword changes nothing', async () => {
  const { number, ref } = await seed();
  await engine.smsc.mo(number, 'TD please call me back');
  assert.equal(
    (await engine.services.consent.projection(ref as never))['marketing.sms.promotions|sms']?.type,
    'granted',
  );
});

test('an UNDELIV receipt is logged as undelivered and suppresses the number, so the next send is denied', async () => {
  const { number, ref } = await seed();
  engine.smsc.failNumbers((to) => to === number, 'UNDELIV');
  assert.equal((await run(ref)).history[0]?.outcome, 'sent');
  const suppression = await eventually(
    async () => (await engine.services.consent.suppressions(ref as never)).find((s) => s.channel === 'sms'),
    20_000,
    'the suppression',
  );
  assert.equal(suppression.kind, 'hard_bounce');
  const undelivered = (await logOf(ref)).find((e) => e.outcome === 'undelivered')!;
  assert.equal(undelivered.result, 'receipt_undeliv');
  assert.deepEqual(undelivered.reasons, ['sms_undeliverable']);
  const again = await run(ref);
  assert.equal(again.history[0]?.outcome, 'denied');
  assert.equal(toNumber(number).length, 1, 'only the first message reached the SMSC');
});
