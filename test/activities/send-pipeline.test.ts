import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { runGuardedSends, type SendSpec } from '../../activities/send-pipeline.js';
import type { SubjectRef } from '../../domain/ids.js';
import { ConsentStore } from '../../infra/redis/consent-store.js';
import { DecisionLog } from '../../infra/redis/decision-log.js';
import { DecisionLogUnavailableError } from '../../infra/redis/decision-log-errors.js';
import { policy } from '../../policy/index.js';
import { consentEvent } from '../helpers/engine.js';
import { newsletterSpec, sendPath } from '../helpers/send-path.js';
import { uniqueId } from '../helpers/services.js';

// The send path against real Redis and a real SMTP sink, with faults injected into the real adapters.
const path = sendPath('pipe');
const { redis, prefix, config, services } = path;

const spec = newsletterSpec;

async function subject(fields: Record<string, string>, purpose = 'marketing.email.newsletter') {
  const address = `${uniqueId('p')}@example.org`;
  const r = await services.subjects.upsert(uniqueId('s'), { email: address, ...fields });
  assert.equal(r.status, 'written');
  if (r.status !== 'written') throw new Error('unreachable');
  await services.consent.append(consentEvent(r.ref, { purpose }));
  return { ref: r.ref, address };
}

test('when the decision log cannot be written, nothing is sent and no send is reserved', async () => {
  const { ref, address } = await subject({ first_name: 'Fae' });
  const dead = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  dead.on('error', () => {});
  const brokenLog = new DecisionLog({
    redis: dead,
    keyPrefix: prefix,
    logKey: config.secrets.logKey,
    partitions: 4,
    dataDir: config.dataDir,
    timeoutMs: 500,
  });
  const s = spec();
  await assert.rejects(
    runGuardedSends({ ...path.deps, appendLog: (e) => brokenLog.appendBatch(e) }, s, [ref]),
    DecisionLogUnavailableError,
  );
  assert.equal(path.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 0);
  assert.deepEqual(await path.deps.ledger.lookup([{ ref, scope: `${s.workflowId}:${s.stepId}` }]), [undefined]);
  dead.disconnect();
  // The same send with a working log goes out: the fault, not the subject, stopped it.
  const [ok] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(ok?.status, 'sent');
});

/** The deps with some ledger methods replaced (fault injection into the real ledger). */
const withLedger = (over: Partial<Record<'put' | 'settle' | 'claim', (...a: never[]) => Promise<unknown>>>) => ({
  ...path.deps,
  ledger: Object.assign(
    Object.create(Object.getPrototypeOf(path.deps.ledger) as object),
    path.deps.ledger,
    over,
  ) as typeof path.deps.ledger,
});
const crashBeforeCommit = () =>
  withLedger({ settle: async () => Promise.reject(new Error('injected: crash before the commit')) });
const mails = (address: string) => path.sink.received.filter((m) => m.envelopeTo.includes(address));
/** The crashed attempt's lease running out, as Redis sees it: its reservation's in-flight entry is in the past. */
const leaseRunsOut = (ref: SubjectRef, s: SendSpec) =>
  redis.zadd(services.keys.inflight(ref), 1, path.deps.ledger.key(ref, `${s.workflowId}:${s.stepId}`));

async function entriesOf(ref: string) {
  const out = [];
  for await (const e of services.log.query({ subjectRef: ref as never })) out.push(e);
  return out;
}

test('a withdrawal committed between the decision and the reservation means no send, logged as a re-decision', async () => {
  const { ref, address } = await subject({ first_name: 'Gil' });
  const s = spec();
  // The reservation runs after the allow is logged: land the withdrawal exactly before it.
  const racing = withLedger({
    claim: async (...a: Parameters<typeof path.deps.ledger.claim>) => {
      await services.consent.append(consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }));
      return path.deps.ledger.claim(...a);
    },
  });
  const [out] = await runGuardedSends(racing, s, [ref]);
  assert.deepEqual([out?.status, out?.reasons], ['denied', ['consent_changed']]);
  assert.equal(path.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 0);
  const decisions = (await entriesOf(ref)).filter((e) => e.kind === 'decision');
  assert.deepEqual(
    decisions.map((e) => [e.outcome, e.result]),
    [
      ['allow', null],
      ['deny', 'redecided_at_reservation'],
    ],
  );
  assert.equal(decisions[1]!.decisionId, decisions[0]!.id, 'the re-decision names the allow it replaces');
  // A retry of the batch finds the closed record: nothing more is logged or sent.
  const [again] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(again?.status, 'denied');
  assert.equal((await entriesOf(ref)).length, 2);
});

test('a batch retried after its reservation failed to save reuses the logged decision instead of logging another', async () => {
  const { ref, address } = await subject({ first_name: 'Jo' });
  const s = spec();
  let fail = true;
  const flaky = withLedger({
    claim: async (...a: Parameters<typeof path.deps.ledger.claim>) => {
      if (fail) {
        fail = false;
        throw new Error('injected: records not saved');
      }
      return path.deps.ledger.claim(...a);
    },
  });
  await assert.rejects(runGuardedSends(flaky, s, [ref]), /injected/);
  const [out] = await runGuardedSends(flaky, s, [ref]);
  assert.equal(out?.status, 'sent');
  const mine = await entriesOf(ref);
  assert.deepEqual(
    mine.map((e) => `${e.kind}:${e.outcome}`),
    ['decision:allow', 'delivery:sent'],
  );
  assert.equal(mine[1]!.decisionId, mine[0]!.id);
  assert.equal(path.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 1);
});

test('a crash after the SMTP server accepted, before the commit: the retry resends with the same Message-ID and logs one delivery', async () => {
  const { ref, address } = await subject({ first_name: 'Pim' });
  const s = spec();
  await assert.rejects(runGuardedSends(crashBeforeCommit(), s, [ref], { commitPatienceMs: 0 }), /injected/);
  // Until the crashed attempt's lease runs out, a retry cannot tell it from one still sending: it leaves it alone.
  const [early] = await runGuardedSends(path.deps, s, [ref]);
  assert.deepEqual([early?.status, mails(address).length], ['busy', 1]);
  await leaseRunsOut(ref, s);
  const [out] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(out?.status, 'sent');
  const got = mails(address);
  assert.equal(got.length, 2, 'the ambiguous window: at-least-once');
  assert.equal(new Set(got.map((m) => m.messageId)).size, 1, 'with one Message-ID');
  assert.deepEqual(
    (await entriesOf(ref)).map((e) => `${e.kind}:${e.outcome}`),
    ['decision:allow', 'delivery:sent'],
  );
});

test('a send left reserved by a crash is not repeated once consent changed: one failed delivery, consent_changed', async () => {
  const { ref, address } = await subject({ first_name: 'Ola' });
  const s = spec();
  // The crash takes the commit and the delivery entry with it: nothing says whether the message went out.
  const crashed = {
    ...crashBeforeCommit(),
    appendLog: ((e, o) =>
      e.some((x) => x.kind === 'delivery')
        ? Promise.reject(new Error('injected: crash before the append'))
        : path.deps.appendLog(e, o)) as typeof path.deps.appendLog,
  };
  await assert.rejects(runGuardedSends(crashed, s, [ref], { commitPatienceMs: 0 }), /injected/);
  // The crashed sender's reservation would hold the withdrawal's acknowledgement up to 30 s; this store waits less.
  const quick = new ConsentStore({ redis, keys: services.keys, drainTimeoutMs: 50 });
  await quick.append(consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }));
  await leaseRunsOut(ref, s);
  const [out] = await runGuardedSends(path.deps, s, [ref]);
  assert.deepEqual([out?.status, out?.reasons], ['failed', ['consent_changed']]);
  assert.equal(mails(address).length, 1, 'the first attempt only');
  assert.deepEqual(
    (await entriesOf(ref)).map((e) => `${e.kind}:${e.outcome}:${e.result ?? ''}`),
    ['decision:allow:', 'delivery:failed:not_resent_after_consent_change'],
  );
  const [again] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(again?.status, 'failed');
  assert.equal((await entriesOf(ref)).length, 2);
});

test('an accepted message whose commit fails briefly is committed once the ledger answers again: no resend', async () => {
  const { ref, address } = await subject({ first_name: 'Quin' });
  let failures = 3;
  const blip = withLedger({
    settle: async (...a: never[]) =>
      failures-- > 0
        ? Promise.reject(new Error('injected: Redis away'))
        : path.deps.ledger.settle(...(a as unknown as Parameters<typeof path.deps.ledger.settle>)),
  });
  const [out] = await runGuardedSends(blip, spec(), [ref]);
  assert.equal(out?.status, 'sent');
  assert.equal(mails(address).length, 1);
});

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

test('a commit that never succeeds gives up after its patience in attempts, even under a frozen clock', async () => {
  const { ref, address } = await subject({ first_name: 'Ike' });
  const frozen = new Date();
  let attempts = 0;
  const stuck = {
    ...withLedger({ settle: async () => ((attempts += 1), Promise.reject(new Error('injected: Redis away'))) }),
    now: () => frozen,
    sleep: async () => {},
  };
  await assert.rejects(runGuardedSends(stuck, spec(), [ref], { commitPatienceMs: 1_000 }), /Redis away/);
  assert.equal(attempts, 4, 'one attempt per 250 ms of patience');
  assert.equal(mails(address).length, 1, 'the message went out once; the retry of the batch resends it');
});

test('a crash before the commit whose delivery entry landed is settled as sent on the retry, even after consent changed', async () => {
  const { ref, address } = await subject({ first_name: 'Uma' });
  const s = spec();
  await assert.rejects(runGuardedSends(crashBeforeCommit(), s, [ref], { commitPatienceMs: 0 }), /injected/);
  const quick = new ConsentStore({ redis, keys: services.keys, drainTimeoutMs: 50 });
  await quick.append(consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }));
  await leaseRunsOut(ref, s);
  const [out] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(out?.status, 'sent', 'the SMTP server accepted it, and the log says so');
  assert.equal(mails(address).length, 1, 'not sent again after the withdrawal');
  assert.deepEqual(
    (await entriesOf(ref)).map((e) => `${e.kind}:${e.outcome}:${e.result ?? ''}`),
    ['decision:allow:', 'delivery:sent:accepted'],
  );
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
