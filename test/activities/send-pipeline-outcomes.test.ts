import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runGuardedSends } from '../../activities/send-pipeline.js';
import { policy } from '../../policy/index.js';
import { consentEvent } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';
import { entriesOf, mails, path, redis, services, spec, subject } from './send-pipeline-fixtures.js';

test('a recipient answering 4xx is deferred on its own and sent on a later attempt, under the same decision', async () => {
  const { ref, address } = await subject({ first_name: 'Kai' });
  const s = spec();
  path.sink.failRecipients((a) => a === address, 451, '4.7.1 try later', 1);
  const [first] = await runGuardedSends(path.deps, s, [ref], { deferral: { baseMs: 1, maxAttempts: 3 } });
  assert.equal(first?.status, 'deferred');
  const [second] = await runGuardedSends(path.deps, s, [ref], { deferral: { baseMs: 1, maxAttempts: 3 } });
  assert.equal(second?.status, 'sent');
  assert.deepEqual(
    (await entriesOf(ref)).map((e) => `${e.kind}:${e.outcome}`),
    ['decision:allow', 'delivery:sent'],
  );
});

test('a recipient that keeps answering 4xx ends, after its budget, in one logged permanent failure', async () => {
  const { ref, address } = await subject({ first_name: 'Lu' });
  const s = spec();
  path.sink.failRecipients((a) => a === address, 451, '4.7.1 try later', 10);
  const statuses = [];
  for (let i = 0; i < 3; i++)
    statuses.push((await runGuardedSends(path.deps, s, [ref], { deferral: { baseMs: 1, maxAttempts: 3 } }))[0]?.status);
  assert.deepEqual(statuses, ['deferred', 'deferred', 'failed']);
  const mine = await entriesOf(ref);
  assert.deepEqual(
    mine.map((e) => `${e.kind}:${e.outcome}:${e.result ?? ''}`),
    ['decision:allow:', 'delivery:failed:deferred_budget_exhausted'],
  );
});

test('held-out and not-eligible members each get one logged outcome, however often the batch runs', async () => {
  const a = await subject({ first_name: 'Mo' });
  const b = await subject({ first_name: 'Ny' });
  const s = spec();
  const excluded = new Map([
    [a.ref, { outcome: 'held_out' as const, reasons: ['holdout'] }],
    [b.ref, { outcome: 'not_eligible' as const, reasons: ['no_live_consent'] }],
  ]);
  for (let i = 0; i < 2; i++) {
    const out = await runGuardedSends(path.deps, s, [a.ref, b.ref], { excluded });
    assert.deepEqual(
      out.map((o) => o.status),
      ['held_out', 'not_eligible'],
    );
  }
  assert.deepEqual(
    (await entriesOf(a.ref)).map((e) => `${e.kind}:${e.outcome}:${e.reasons.join()}`),
    ['outcome:held_out:holdout'],
  );
  assert.deepEqual(
    (await entriesOf(b.ref)).map((e) => `${e.kind}:${e.outcome}:${e.reasons.join()}`),
    ['outcome:not_eligible:no_live_consent'],
  );
  assert.equal(
    path.sink.received.filter((m) => m.envelopeTo.includes(a.address) || m.envelopeTo.includes(b.address)).length,
    0,
  );
});

test('someone who turned personalisation off gets the generic fallback template, without the personal fields', async () => {
  const { ref, address } = await subject(
    { first_name: 'Hal', loyalty_tier: 'platinum', preferred_store: 'Secret Street Store' },
    'marketing.email.promotions',
  );
  await services.consent.setPersonalisation(ref, 'off');
  const [out] = await runGuardedSends(
    path.deps,
    spec({ purpose: 'marketing.email.promotions', templateId: 'promo-winter-sale' }),
    [ref],
  );
  assert.equal(out?.status, 'sent');
  const eml = readFileSync(path.sink.received.find((m) => m.envelopeTo.includes(address))!.file, 'utf8');
  assert.doesNotMatch(eml, /platinum|Secret Street Store/);
  const [d] = await (async () => {
    const a = [];
    for await (const e of services.log.query({ subjectRef: ref, kind: 'decision' })) a.push(e);
    return a;
  })();
  assert.equal(d?.templateId, 'promo-generic');
  assert.ok(!d?.fieldsReleased.includes('loyalty_tier'));
});

test('a profile missing a declared template field is a logged permanent failure: nothing sent, no retry', async () => {
  const { ref, address } = await subject({});
  const [out] = await runGuardedSends(path.deps, spec(), [ref]);
  assert.deepEqual([out?.status, out?.reasons], ['failed', ['profile_field_missing']]);
  assert.equal(path.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 0);
  const deliveries = [];
  for await (const e of services.log.query({ subjectRef: ref, kind: 'delivery' })) deliveries.push(e);
  assert.deepEqual(
    deliveries.map((e) => [e.outcome, e.result]),
    [['failed', 'profile_field_missing']],
  );
});

test('a send that fails permanently gives its frequency-cap slot back, so the next campaign may still send', async () => {
  const { ref, address } = await subject({ first_name: 'Ida' });
  path.sink.failRecipients((a) => a === address, 552, '5.2.2 mailbox full', 1);
  const cap = { max: 1, perMs: 7 * 86_400_000 };
  const [first] = await runGuardedSends(path.deps, spec({ frequencyCap: cap }), [ref]);
  assert.deepEqual([first?.status, first?.reasons], ['failed', ['smtp_rejected']]);
  const [second] = await runGuardedSends(path.deps, spec({ frequencyCap: cap }), [ref]);
  assert.equal(second?.status, 'sent');
  const [third] = await runGuardedSends(path.deps, spec({ frequencyCap: cap }), [ref]);
  assert.deepEqual([third?.status, third?.reasons], ['denied', ['frequency_capped']]);
});

test('a subject who consented under the Chinese notice gets the zh-CN variant; every message names the policy brand', async () => {
  const address = `${uniqueId('zh')}@example.org`;
  const r = await services.subjects.upsert(uniqueId('s'), { email: address, first_name: '梅' });
  if (r.status !== 'written') throw new Error('subject not written');
  await services.consent.append(
    consentEvent(r.ref, { purpose: 'marketing.email.newsletter', language: 'zh-CN', jurisdiction: 'CN' }),
  );
  // The relay is abroad for a CN subject: PIPL 39's separate consent to that transfer, under a notice naming it.
  await services.consent.append(
    consentEvent(r.ref, { purpose: 'transfer.overseas.smtp_relay', language: 'zh-CN', jurisdiction: 'CN' }),
  );
  const en = await subject({ first_name: 'Mei' });
  const outcomes = await runGuardedSends(path.deps, spec(), [r.ref, en.ref]);
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['sent', 'sent'],
  );
  const { simpleParser } = await import('mailparser');
  const zh = await simpleParser(readFileSync(mails(address)[0]!.file));
  const english = await simpleParser(readFileSync(mails(en.address)[0]!.file));
  assert.equal(zh.subject, '梅，欢迎订阅 Lumen & Loom');
  assert.equal(english.subject, 'Welcome to Lumen & Loom, Mei');
  for (const m of [zh, english]) assert.equal(m.from?.value[0]?.name, policy.brand!.name, 'the From name is the brand');
  assert.ok(
    english.text?.includes(policy.brand!.postalAddress),
    "the English footer carries the brand's postal address",
  );
  const zhAddress = policy.brand!.postalAddresses!['zh-CN']!;
  assert.ok(
    zh.text?.includes(zhAddress) && !zh.text.includes(policy.brand!.postalAddress),
    'the Chinese footer carries the address as written in Chinese',
  );
  assert.ok(!english.text?.includes(zhAddress));
  assert.match(zh.text ?? '', /一键退订：https?:\/\//, 'the Chinese variant carries its own unsubscribe line');
});

test('send records are kept as long as the policy’s send-ledger retention says, past 90 days too, plus the retention run’s margin', async () => {
  const day = 86_400_000;
  for (const days of [400, 30]) {
    const { ref } = await subject({ first_name: 'Ren' });
    const s = spec();
    const base = path.deps.policy();
    const retained = {
      ...base,
      bundle: { ...base.bundle, retention: { ...base.bundle.retention, sendLedgerDays: days } },
    };
    const [out] = await runGuardedSends({ ...path.deps, policy: () => retained }, s, [ref]);
    assert.equal(out?.status, 'sent');
    const ttl = await redis.pttl(path.deps.ledger.key(ref, `${s.workflowId}:${s.stepId}`));
    assert.ok(ttl > (days + 1) * day && ttl <= (days + 2) * day, `${days} days kept ${ttl / day} days`);
  }
});
