import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import type { SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { composeMessage, UnsupportedMessageError } from '../../../infra/smtp/compose.js';

const fixed = { baseBoundary: 'f1xed', date: new Date('2026-11-30T10:00:00Z') };
const streamed = async (mail: SendMailOptions) =>
  (await new MailComposer({ ...mail, ...fixed }).compile().build()).toString('latin1');
const built = (mail: SendMailOptions) => composeMessage({ ...mail, ...fixed }).raw.toString('latin1');

const base: SendMailOptions = {
  from: { name: 'Winterberg Outfitters', address: 'news@shop.example' },
  to: 'nora@example.org',
  subject: 'Winter sale',
  text: 'Hello Nora',
  html: '<p>Hello Nora</p>',
  messageId: '<m1@shop.example>',
};

test('any recipient, sender name, sender address and custom header value build to the bytes nodemailer streams', async () => {
  const odd = fc.string({
    unit: fc.constantFrom('a', 'Z', '.', '+', "'", '"', ' ', '<', '>', ',', 'ö', '中', '@', '('),
  });
  const address = fc.oneof(
    fc.emailAddress(),
    fc.tuple(odd, fc.domain()).map(([l, d]) => `${l}@${d.toUpperCase()}`),
    fc.constant('Nora@Bücher.Example'),
  );
  await fc.assert(
    fc.asyncProperty(
      address,
      fc.oneof(fc.string({ maxLength: 40 }), odd),
      address,
      fc.string({ unit: 'grapheme', maxLength: 120 }),
      fc.boolean(),
      async (to, name, sender, value, html) => {
        const mail: SendMailOptions = {
          ...base,
          from: { name, address: sender },
          to,
          html: html ? base.html : undefined,
          headers: { 'list-unsubscribe': `<https://x.example/u/${value}>`, 'x-campaign': value },
        };
        assert.equal(built(mail), await streamed(mail));
      },
    ),
    { numRuns: 300 },
  );
});

test('a sender given as a bare address, an HTML-only or an empty message build to the bytes nodemailer streams', async () => {
  for (const mail of [
    { ...base, from: 'news@shop.example' },
    { ...base, text: undefined },
    { ...base, text: '', html: '' },
    { ...base, subject: '   ' },
  ])
    assert.equal(built(mail), await streamed(mail));
});

test('without a Date or Message-ID, the headers come in the order nodemailer writes them', async () => {
  const mask = (s: string) => s.replace(/^Date: .*$/m, 'Date: X').replace(/^Message-ID: <[^@]+@/m, 'Message-ID: <X@');
  for (const mail of [
    { ...base, messageId: undefined },
    { ...base, html: undefined, messageId: undefined },
  ]) {
    const ours = composeMessage({ ...mail, baseBoundary: 'f1xed' });
    const theirs = (await new MailComposer({ ...mail, ...{ baseBoundary: 'f1xed' } }).compile().build()).toString(
      'latin1',
    );
    assert.equal(mask(ours.raw.toString('latin1')), mask(theirs));
    assert.match(ours.messageId, /^<[0-9a-f-]{36}@shop\.example>$/);
  }
});

test('without a fixed boundary each message draws a new one, and both parts parse back as given', async () => {
  const a = composeMessage(base).raw.toString('latin1');
  const b = composeMessage(base).raw.toString('latin1');
  const boundaryOf = (s: string) => /boundary="([^"]+)"/.exec(s)![1]!;
  assert.notEqual(boundaryOf(a), boundaryOf(b));
  const parsed = await simpleParser(a);
  assert.equal(parsed.text, 'Hello Nora');
  assert.equal(parsed.html, '<p>Hello Nora</p>');
  assert.equal(parsed.messageId, '<m1@shop.example>');
});

test('a plain-text part that contains the next boundary gets another one, so the parts still parse back whole', async () => {
  const before = /boundary="([^"]+)"/.exec(composeMessage(base).raw.toString('latin1'))![1]!;
  const cut = before.lastIndexOf('_') + 1;
  const next = before.slice(0, cut) + (Number.parseInt(before.slice(cut), 36) + 1).toString(36);
  const text = `Hello\n--${next}\nContent-Type: text/html\n\n<p>forged</p>\n--${next}--\n`;
  const raw = composeMessage({ ...base, text }).raw.toString('latin1');
  assert.match(raw, /Content-Transfer-Encoding: 7bit/, 'the text goes out as it is, so the check is what protects it');
  assert.notEqual(/boundary="([^"]+)"/.exec(raw)![1], next);
  const parsed = await simpleParser(raw);
  assert.equal(parsed.text, text);
  assert.equal(parsed.html, '<p>Hello Nora</p>');
});

test('anything but a campaign message is refused before a byte is written', () => {
  const refused: Array<[string, SendMailOptions]> = [
    ['an attachment', { ...base, attachments: [{ filename: 'a.txt', content: 'x' }] }],
    ['a raw message', { raw: 'Subject: x\r\n\r\nx' }],
    ['a Cc', { ...base, cc: 'c@example.org' }],
    ['text from a file', { ...base, text: { path: '/etc/hostname' } }],
    ['text as bytes', { ...base, text: Buffer.from('x') }],
    ['two recipients', { ...base, to: ['a@example.org', 'b@example.org'] }],
    ['a custom Content-Type', { ...base, headers: { 'content-type': 'text/plain' } }],
    ['a custom Date', { ...base, headers: { Date: 'yesterday' } }],
    ['a prepared header', { ...base, headers: { 'X-A': { prepared: true, value: 'x' } } }],
  ];
  for (const [what, mail] of refused) assert.throws(() => composeMessage(mail), UnsupportedMessageError, what);
});
