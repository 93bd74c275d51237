import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Campaign } from '../../domain/campaign.js';
import { lintCampaign, type LintContext } from '../../domain/campaign-lint.js';
import { compilePolicy } from '../../domain/policy.js';
import { defineSegment } from '../../domain/segment.js';
import { parseReceipt, receiptText } from '../../domain/sms-receipt.js';
import { smsSegmentReport } from '../../domain/sms-lint.js';
import { hasOptOutInstruction, hasSignature, isOptOutReply, planSms, smsEncoding } from '../../domain/sms-text.js';
import type { TemplateFacts } from '../../domain/template.js';
import { policy } from '../../policy/index.js';

test('GSM-7 fits 160 characters in one message and 153 per part beyond; extension characters count twice', () => {
  assert.equal(smsEncoding('Hello {world} €5'), 'gsm7');
  assert.deepEqual(planSms('a'.repeat(160)).parts.length, 1);
  assert.deepEqual(
    planSms('a'.repeat(161)).parts.map((p) => p.length),
    [153, 8],
  );
  assert.equal(planSms('€'.repeat(80)).parts.length, 1);
  assert.deepEqual(
    planSms('€'.repeat(81)).parts.map((p) => p.length),
    [76, 5],
    'an escape pair is never split',
  );
  assert.equal(planSms('x').dataCoding, 0);
});

test('any Chinese character makes the message UCS-2: 70 in one message, 67 per part, surrogate pairs kept whole', () => {
  assert.equal(smsEncoding('回复TD退订'), 'ucs2');
  const one = planSms('中'.repeat(70));
  assert.deepEqual([one.parts.length, one.dataCoding], [1, 8]);
  assert.deepEqual(
    planSms('中'.repeat(71)).parts.map((p) => p.length),
    [67, 4],
  );
  const emoji = planSms(`${'中'.repeat(66)}😀${'中'.repeat(10)}`);
  assert.deepEqual(
    emoji.parts.map((p) => p.length),
    [66, 12],
    'the emoji moves whole to the next part',
  );
  assert.equal(emoji.parts.join(''), `${'中'.repeat(66)}😀${'中'.repeat(10)}`);
});

test('opt-out replies are the keywords alone, any case, trimmed; other replies are not', () => {
  for (const t of ['TD', ' td ', 'T', 'n', 'Stop', 'STOP.', '退订', ' 退订！', 'ＴＤ']) assert.ok(isOptOutReply(t), t);
  for (const t of ['', 'TD please call me', 'TDX', 'no', '不要退订', 'STOPP']) assert.ok(!isOptOutReply(t), t);
});

test('a signature is 【…】 at the very start; an opt-out instruction names an honoured keyword', () => {
  assert.ok(hasSignature('【绒织坊】您好'));
  assert.ok(hasSignature('  【{{sender.name}}】您好'));
  assert.ok(!hasSignature('您好【绒织坊】'));
  assert.ok(!hasSignature('【】您好'));
  for (const t of ['回复TD退订', '回T退订', '退订回N', 'Reply STOP to opt out', '回复“退订”'])
    assert.ok(hasOptOutInstruction(t), t);
  for (const t of ['回复Y参加', '点击链接退订', 'reply YES']) assert.ok(!hasOptOutInstruction(t), t);
});

test('the segment report counts the fixed text and the merged values it cannot count', () => {
  const r = smsSegmentReport('【{{sender.name}}】{{first_name}}您好：冬季会员日。回复TD退订\n');
  assert.deepEqual(r, { encoding: 'ucs2', length: 17, segments: 1, perSegment: 70, expressions: 2 });
  assert.deepEqual(smsSegmentReport(`【店】${'中'.repeat(80)}回复TD退订`).segments, 2);
  assert.equal(smsSegmentReport(`【店】${'中'.repeat(80)}回复TD退订`).perSegment, 67);
});

test('receipts read the SMPP appendix B text, or the TLVs when the text is empty; UNDELIV and REJECTD are permanent', () => {
  const at = new Date('2026-01-02T03:04:05Z');
  assert.equal(
    receiptText('abc', 'DELIVRD', at, at),
    'id:abc sub:001 dlvrd:001 submit date:2601020304 done date:2601020304 stat:DELIVRD err:000 text:',
  );
  assert.deepEqual(parseReceipt(receiptText('abc', 'DELIVRD', at, at)), {
    messageId: 'abc',
    stat: 'DELIVRD',
    err: '000',
    outcome: 'delivered',
    permanent: false,
  });
  assert.equal(parseReceipt(receiptText('abc', 'UNDELIV', at, at))?.permanent, true);
  assert.equal(parseReceipt(receiptText('abc', 'REJECTD', at, at))?.outcome, 'undelivered');
  assert.deepEqual(parseReceipt(receiptText('abc', 'EXPIRED', at, at))?.permanent, false);
  assert.equal(parseReceipt('', { receiptedMessageId: 'x1', messageState: 5 })?.stat, 'UNDELIV');
  assert.equal(parseReceipt('', { receiptedMessageId: 'x1', messageState: 6 })?.outcome, 'pending');
  assert.equal(parseReceipt('hello'), undefined);
});

const sms = (id: string, smsSource: string): TemplateFacts => ({
  id,
  channel: 'sms',
  kind: 'marketing',
  fields: ['first_name'],
  contentHash: 'a'.repeat(64),
  referencedFields: ['first_name'],
  reservedByPart: { text: [] },
  promotionalTerms: [],
  smsSource,
});
const ctx = (t: TemplateFacts): LintContext => ({
  templates: new Map([[t.id, t]]),
  segments: {
    s: defineSegment({
      id: 's',
      description: 's',
      reads: [],
      consent: { purpose: 'marketing.sms.promotions', channel: 'sms' },
      where: () => true,
    }),
  },
  policy: compilePolicy(policy, 'test'),
});
// The send waits for daytime first, as a CN text message must (quiet hours have their own lint test).
const daytime = {
  id: 'daytime',
  type: 'waitUntil',
  window: { start: '09:00', end: '20:00' },
  timezoneField: 'timezone',
} as const;
const lintSms = (t: TemplateFacts) =>
  lintCampaign(
    Campaign.parse({
      id: 'c',
      name: 'C',
      description: 'd',
      purpose: 'marketing.sms.promotions',
      audience: { segment: 's' },
      steps: [daytime, { id: 'send', type: 'send', channel: 'sms', template: t.id, processor: 'sms-gateway' }],
    }),
    ctx(t),
  );

test('lint accepts a marketing SMS with a 【】 signature first and 回复TD退订', () => {
  assert.deepEqual(lintSms(sms('ok', '【{{sender.name}}】{{first_name}}您好，会员日八折。回复TD退订')), []);
});

test('lint rejects a marketing SMS without the 【】 signature at the start', () => {
  const p = lintSms(sms('nosig', '{{first_name}}您好，会员日八折。回复TD退订【绒织坊】'));
  assert.deepEqual(
    p.map((x) => x.code),
    ['sms_signature_missing'],
  );
  assert.match(p[0]!.message, /template "nosig" does not start with a sender signature in 【】/);
});

test('lint rejects a marketing SMS without an opt-out instruction, naming the keywords', () => {
  const p = lintSms(
    sms('noopt', '【绒织坊】{{first_name}}您好，会员日八折。{{!-- 回复TD退订 in a comment does not count --}}'),
  );
  assert.deepEqual(
    p.map((x) => x.code),
    ['sms_opt_out_missing'],
  );
  assert.match(p[0]!.message, /TD, T, N, STOP, 退订/);
});

test('an essential SMS is not held to the marketing rules', () => {
  assert.deepEqual(lintSms({ ...sms('otp', '您的验证码是 {{first_name}}'), kind: 'essential' }), []);
});
