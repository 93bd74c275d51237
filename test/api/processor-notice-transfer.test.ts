import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogEntry } from '../../domain/decision-log.js';
import type { SubjectRef } from '../../domain/ids.js';
import { waitForSubjectRequest } from '../../infra/temporal/rights.js';
import { uniqueId } from '../helpers/services.js';
import { useSubjectRequestApi } from '../helpers/subject-request-api.js';

// Corrections reach processors through the real worker, Temporal, Redis and decision log; only the webhook is recorded.
const { engine, notifier, start, stores, delivered } = useSubjectRequestApi();

type Started = { requestId: string };
const status = (ref: SubjectRef, changeId: string, processor: string) =>
  stores().propagation.get(ref, changeId, processor);

async function noticeDecisions(ref: SubjectRef): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of engine.services.log.query({ subjectRef: ref, kind: 'decision' }))
    if (e.stepId === 'processor_notice') out.push(e);
  return out;
}

async function correct(subjectId: string, corrections: Record<string, string>): Promise<string> {
  const res = await start({ type: 'correct', subjectId, corrections });
  assert.equal(res.statusCode, 202, res.body);
  const done = await waitForSubjectRequest(engine.client, (res.json() as Started).requestId);
  assert.equal(done.status, 'completed');
  return done.requestId;
}

test("a CN subject's correction is withheld from a processor abroad with no CN mechanism, logged with its reasons, and still reaches the CN gateway", async () => {
  const subjectId = uniqueId('s');
  const ref = await engine.seed(
    subjectId,
    { email: `${uniqueId('cn')}@example.org`, first_name: '梅', phone: '+8613800138000' },
    [{ purpose: 'marketing.email.newsletter', jurisdiction: 'CN', language: 'zh-CN' }],
  );
  await delivered(ref, 'ads-partner', ['email', 'first_name']);
  await delivered(ref, 'sms-gateway', ['phone', 'first_name']);
  const changeId = await correct(subjectId, { first_name: '兰' });

  const sent = notifier.notices.filter((n) => n.notice.changeId === changeId);
  assert.deepEqual(
    sent.map((n) => [n.processor, n.notice.corrections]),
    [['sms-gateway', { first_name: '兰' }]],
    'nothing went abroad',
  );
  const held = await status(ref, changeId, 'ads-partner');
  assert.equal(held?.status, 'withheld');
  assert.match(held?.lastError ?? '', /cross_border_transfer_not_permitted, cross_border_consent_missing/);
  assert.equal((await status(ref, changeId, 'sms-gateway'))?.status, 'informed');

  const logged = await noticeDecisions(ref);
  const deny = logged.find((e) => e.processor === 'ads-partner');
  assert.deepEqual(
    [deny?.outcome, deny?.reasons, deny?.fieldsWithheld, deny?.fieldsReleased, deny?.jurisdiction, deny?.transferTo],
    ['deny', ['cross_border_transfer_not_permitted', 'cross_border_consent_missing'], ['first_name'], [], 'CN', 'UK'],
  );
  const home = logged.find((e) => e.processor === 'sms-gateway');
  assert.deepEqual([home?.outcome, home?.fieldsReleased, home?.transferTo], ['allow', ['first_name'], null]);
  assert.doesNotMatch(JSON.stringify(logged), /兰|梅|@example/, 'names of fields, never their values');
  // The verdict is written before the notice leaves: the allow entry's id is older than the notice's time.
  assert.ok(Date.parse(home!.at) <= Date.parse(sent[0]!.notice.at));
});

test("a CN subject's erasure is no transfer: the processor abroad is told, with only the identifier it already holds", async () => {
  const subjectId = uniqueId('s');
  const ref = await engine.seed(subjectId, { email: `${uniqueId('cn')}@example.org`, first_name: '梅' }, [
    { purpose: 'marketing.email.newsletter', jurisdiction: 'CN', language: 'zh-CN' },
  ]);
  await delivered(ref, 'ads-partner', ['email', 'first_name']);
  const res = await start({ type: 'erase', subjectId });
  assert.equal(res.statusCode, 202, res.body);
  const done = await waitForSubjectRequest(engine.client, (res.json() as Started).requestId);
  const notice = notifier.notices.find(
    (n) => n.notice.changeId === done.requestId && n.processor === 'ads-partner',
  )?.notice;
  assert.equal(notice?.kind, 'erased');
  assert.equal(notice?.corrections, undefined);
  assert.deepEqual(await noticeDecisions(ref), []);
});

test("an EU subject's correction to the CN gateway goes out on its SCCs, which the log records", async () => {
  const subjectId = uniqueId('s');
  const ref = await engine.seed(
    subjectId,
    { email: `${uniqueId('eu')}@example.org`, first_name: 'Ada', phone: '+4915112345678' },
    [{ purpose: 'marketing.email.newsletter' }],
  );
  await delivered(ref, 'sms-gateway', ['phone', 'first_name']);
  const changeId = await correct(subjectId, { first_name: 'Ida' });
  assert.deepEqual(
    notifier.notices.filter((n) => n.notice.changeId === changeId).map((n) => n.processor),
    ['sms-gateway'],
  );
  const [e] = await noticeDecisions(ref);
  assert.deepEqual(
    [e?.outcome, e?.jurisdiction, e?.transferTo, e?.transferMechanismKind, e?.transferMechanism],
    ['allow', 'EU', 'CN', 'standard_contract', 'SCC 2021/914 module 2, signed 2024-02-20'],
  );
});
