import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { composeMessage, textEncodingOf, UnsupportedMessageError } from '../../../infra/smtp/compose.js';
import { startSmtpSink } from '../../../infra/smtp/sink.js';
import { templatePort } from '../../../infra/templates/port.js';
import { loadShippedTemplates } from '../../../infra/templates/shipped.js';

const require = createRequire(import.meta.url);
const MimeNode = require('nodemailer/lib/mime-node/index.js') as new (type: string) => {
  _getTextEncoding(v: string): string;
};

// A fixed boundary and date: nodemailer draws both afresh for every message, the builder leaves them to it too.
const fixed = { baseBoundary: 'f1xed', date: new Date('2026-11-30T10:00:00Z') };
const streamed = (mail: SendMailOptions): Promise<Buffer> => new MailComposer({ ...mail, ...fixed }).compile().build();
const built = (mail: SendMailOptions): Buffer => composeMessage({ ...mail, ...fixed }).raw;

const links = {
  unsubscribe: `https://prefs.shop.example/u/${'a'.repeat(180)}.${'b'.repeat(400)}.${'c'.repeat(22)}`,
  why: `https://prefs.shop.example/why/${'d'.repeat(500)}`,
  preferences: `https://prefs.shop.example/preferences/${'e'.repeat(300)}`,
};
const sender = { name: 'Winterberg Outfitters', email: 'news@shop.example', postalAddress: 'Lindenstraße 1, Berlin' };
const templates = templatePort(loadShippedTemplates());

function campaignMail(template: string, fields: Record<string, string>, language?: string): SendMailOptions {
  const r = templates.render(template, {
    fields,
    links,
    sender,
    postalAddresses: { 'zh-CN': '柏林菩提树街 1 号' },
    ...(language ? { language } : {}),
  });
  if (!r.ok) throw new Error(`${template} needs ${r.missingFields.join(', ')}`);
  return {
    from: { name: sender.name, address: sender.email },
    to: 'nora@example.org',
    subject: r.subject,
    text: r.text,
    html: r.html,
    messageId: '<0123456789abcdef0123456789abcdef@shop.example>',
    headers: {
      'List-Unsubscribe': `<${links.unsubscribe}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'Feedback-ID': 'promo:winter:consentflow',
    },
  };
}

test('a campaign message is built byte for byte as nodemailer streams it: headers, one-click headers and both parts', async () => {
  const zh = campaignMail('welcome-1', { first_name: '娜拉' }, 'zh-CN');
  const mails = [
    campaignMail('promo-winter-sale', { first_name: 'Nora', loyalty_tier: 'gold', preferred_store: 'Mitte' }),
    campaignMail('welcome-1', { first_name: 'Jörg' }),
    zh,
    // Mostly Chinese parts go out base64; UTF-8 lengths of each remainder modulo 3 (the encoder holds those back).
    ...['', 'a', 'ab'].map((tail) => ({ ...zh, text: `欢迎订阅，娜拉。\n${'冬季特卖'.repeat(60)}${tail}` })),
  ];
  for (const mail of mails) {
    const want = await streamed(mail);
    assert.equal(built(mail).toString('latin1'), want.toString('latin1'));
    const head = want.toString('latin1').split('\r\n\r\n')[0]!;
    for (const h of ['List-Unsubscribe', 'List-Unsubscribe-Post', 'Feedback-ID', 'Message-ID'])
      assert.match(head, new RegExp(`(^|\r\n)${h}:\\s`), `the headers carry ${h}`);
  }
  // The Chinese variant takes the base64 branch, the others quoted-printable: both encoders are covered.
  assert.match((await streamed(mails[3]!)).toString('latin1'), /Content-Transfer-Encoding: base64/);
  assert.match((await streamed(mails[0]!)).toString('latin1'), /Content-Transfer-Encoding: quoted-printable/);
});

test('any text, HTML, subject and sender name build to the same bytes as nodemailer streams', async () => {
  // Letters, CJK, emoji (surrogate pairs), control characters, long unbroken runs and line breaks of every kind.
  const piece = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '.', '=', '\t', '\r', '\n', '\r\n', '中', '😀', '\u0007', 'é') }),
    fc.string({ unit: fc.constantFrom('x', '文'), minLength: 70, maxLength: 200 }),
  );
  const text = fc.array(piece, { maxLength: 8 }).map((p) => p.join(''));
  await fc.assert(
    fc.asyncProperty(
      text,
      fc.option(text, { nil: undefined }),
      text,
      fc.string({ maxLength: 30 }),
      async (body, html, subject, name) => {
        const mail: SendMailOptions = {
          from: { name, address: 'news@shop.example' },
          to: 'a@example.org',
          subject,
          text: body,
          html,
          messageId: '<m@shop.example>',
          headers: { 'List-Unsubscribe': '<https://x.example/u/t>' },
        };
        assert.equal(built(mail).toString('latin1'), (await streamed(mail)).toString('latin1'));
      },
    ),
    { numRuns: 300 },
  );
});

test("the text encoding choice is nodemailer's own for any text, without its letter-count arrays", () => {
  const node = new MimeNode('text/plain');
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.oneof(
          fc.constantFrom('a', 'Q', '\u0001', '\n', 'ſ', 'K', '中'),
          fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
        ),
      }),
      (s) => assert.equal(textEncodingOf(s), node._getTextEncoding(s)),
    ),
    { numRuns: 2000 },
  );
});

test('a message the builder cannot compose (content from a file) is refused, not sent half-built', () => {
  assert.throws(
    () =>
      composeMessage({ to: 'a@example.org', text: 'x', attachments: [{ filename: 'a.txt', path: '/etc/hostname' }] }),
    UnsupportedMessageError,
  );
});

test('over real SMTP, the prebuilt message arrives as the same bytes nodemailer sends when it composes', async () => {
  const outbox = mkdtempSync(join(tmpdir(), 'cf-compose-'));
  const sink = await startSmtpSink({ outbox });
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false });
  after(async () => {
    transport.close();
    await sink.stop();
    rmSync(outbox, { recursive: true, force: true });
  });
  const mail = {
    ...campaignMail('promo-winter-sale', { first_name: 'Nora', loyalty_tier: 'gold', preferred_store: 'Mitte' }),
    ...fixed,
  };
  await transport.sendMail(mail);
  await transport.sendMail({ raw: composeMessage(mail).raw, envelope: { from: sender.email, to: 'nora@example.org' } });
  assert.equal(sink.received.length, 2);
  const [composed, prebuilt] = sink.received.map((m) => readFileSync(m.file));
  assert.ok(composed!.length > 1000);
  assert.equal(prebuilt!.toString('latin1'), composed!.toString('latin1'));
});
