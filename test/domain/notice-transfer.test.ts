import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsentEvent } from '../../domain/consent.js';
import { judgeNotice, noticeIsTransfer } from '../../domain/notice-transfer.js';
import { compiled, event, NOW, noticeHash, state } from './guard-fixtures.js';

const cn = { jurisdiction: 'CN', language: 'zh-CN', noticeHash: noticeHash(3, 'zh-CN') } as const;
const newsletter = (over: Partial<ConsentEvent> = {}) => event({ ...cn, ...over });
const transferGrant = (over: Partial<ConsentEvent> = {}) =>
  event({ ...cn, purpose: 'transfer.overseas.smtp_relay', ...over });

test('only a correction that carries values moves data; withdrawal, suppression and erasure notices never do', () => {
  assert.equal(noticeIsTransfer('corrected', ['first_name']), true);
  assert.equal(noticeIsTransfer('corrected', []), false);
  for (const k of ['withdrawn', 'suppressed', 'erased'] as const)
    assert.equal(noticeIsTransfer(k, ['first_name']), false);
});

test("a CN subject's correction to the EU relay needs its separate consent on top of the CAC filing, as a send does", () => {
  const without = judgeNotice('smtp-relay', state([newsletter()]), compiled, NOW);
  assert.deepEqual(
    [without.outcome, without.reasons, without.jurisdiction],
    ['deny', ['cross_border_consent_missing'], 'CN'],
  );
  assert.equal(without.transfer?.mechanism?.reference, 'CAC-SC-440300-2025-0142');
  const t = transferGrant();
  const withConsent = judgeNotice('smtp-relay', state([newsletter(), t]), compiled, NOW);
  assert.deepEqual(
    [withConsent.outcome, withConsent.transfer?.to, withConsent.transfer?.consentEventId],
    ['allow', 'EU', t.id],
  );
  const withdrawn = judgeNotice(
    'smtp-relay',
    state([newsletter(), t, transferGrant({ type: 'withdrawn' })]),
    compiled,
    NOW,
  );
  assert.deepEqual(withdrawn.reasons, ['cross_border_consent_missing']);
});

test("a CN subject's correction to a UK recipient with no CN mechanism is denied on both counts; to the CN gateway it stays home", () => {
  assert.deepEqual(judgeNotice('ads-partner', state([newsletter()]), compiled, NOW).reasons, [
    'cross_border_transfer_not_permitted',
    'cross_border_consent_missing',
  ]);
  const home = judgeNotice('sms-gateway', state([newsletter()]), compiled, NOW);
  assert.deepEqual([home.outcome, home.transfer], ['allow', null]);
});

test("an EU subject's correction to the CN gateway relies on the SCCs and needs no separate consent", () => {
  const v = judgeNotice('sms-gateway', state([event()]), compiled, NOW);
  assert.deepEqual(
    [v.outcome, v.jurisdiction, v.transfer?.to, v.transfer?.mechanism?.kind],
    ['allow', 'EU', 'CN', 'standard_contract'],
  );
});

test('fails closed: no recorded answer, an unreadable state, an unknown processor, or any of several jurisdictions that denies', () => {
  assert.equal(judgeNotice('sms-gateway', state([]), compiled, NOW).outcome, 'deny');
  assert.deepEqual(judgeNotice('sms-gateway', state([], { loadError: 'timeout' }), compiled, NOW).reasons, [
    'state_unavailable',
  ]);
  assert.deepEqual(judgeNotice('nobody', state([event()]), compiled, NOW).reasons, ['processor_unknown']);
  const mixed = judgeNotice(
    'ads-partner',
    state([event(), newsletter({ purpose: 'marketing.email.promotions' })]),
    compiled,
    NOW,
  );
  assert.deepEqual([mixed.outcome, mixed.jurisdiction], ['deny', 'CN']);
});
