import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { SendMailOptions } from 'nodemailer';
import {
  customHeaderKey,
  dateValue,
  headerLine,
  mailboxValue,
  messageIdValue,
  UnsupportedMessageError,
  unstructuredValue,
} from './compose-headers.js';
import { qpEncode, qpWrap } from './quoted-printable.js';

export { textEncodingOf, UnsupportedMessageError } from './compose-headers.js';

// A campaign message is written out directly: the same headers, order, part structure and transfer encodings
// nodemailer's MailComposer would produce (a test compares the bytes), without building a MimeNode tree, drawing
// random bytes per message or counting letters with regex match arrays. Quoted-printable bodies go through an
// encoder with nodemailer's exact output (quoted-printable.ts); base64 ones through nodemailer's own.
const require = createRequire(import.meta.url);
const base64 = require('nodemailer/lib/base64/index.js') as {
  encode(b: Buffer): string;
  wrap(s: string, n: number): string;
};

/** What the builder composes: a campaign message. `baseBoundary` fixes the boundary as nodemailer's option does. */
export type ComposeInput = SendMailOptions & { baseBoundary?: string };

const SUPPORTED = new Set(['from', 'to', 'subject', 'text', 'html', 'headers', 'messageId', 'date', 'baseBoundary']);
const LINE = 76;

/** The body of a part as nodemailer's base64 encoder stream writes it from a single chunk. */
function base64Body(buf: Buffer): string {
  // The stream holds back the last len % 3 bytes until the end and does not re-wrap the line they finish.
  const cut = buf.length - (buf.length % 3);
  const wrapped = base64.wrap(base64.encode(buf.subarray(0, cut)), LINE);
  const lastLf = wrapped.lastIndexOf('\n');
  let head = lastLf < 0 ? '' : wrapped.slice(0, lastLf + 1);
  if (head && !head.endsWith('\r\n')) head += '\r\n';
  const tail = lastLf < 0 ? wrapped : wrapped.slice(lastLf + 1);
  return head + tail + (cut < buf.length ? base64.encode(buf.subarray(cut)) : '');
}

type TransferEncoding = '7bit' | 'quoted-printable' | 'base64';

/**
 * nodemailer's transfer encoding for a text part, in one pass: 7bit when every character is printable ASCII and
 * no line is longer than 76, else quoted-printable when letters outnumber the rest, else base64.
 */
function transferEncodingOf(text: string): TransferEncoding {
  let latin = 0;
  let other = 0;
  let run = 0;
  let long = text.length > 128 * 1024;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      run = 0;
      continue;
    }
    if (++run > LINE) long = true;
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) latin++;
    else if (c >= 0x80 || c <= 0x08 || c === 0x0b || c === 0x0c || (c >= 0x0e && c <= 0x1f)) other++;
  }
  if (other === 0 && !long) return '7bit';
  return other < latin ? 'quoted-printable' : 'base64';
}

interface Part {
  readonly type: string;
  readonly encoding: TransferEncoding | undefined;
  readonly body: string;
}

function part(type: string, content: string): Part {
  if (!content) return { type, encoding: undefined, body: '' };
  const encoding = transferEncodingOf(content);
  // As nodemailer's stream does: the text as UTF-8 bytes, in one chunk.
  if (encoding === 'quoted-printable') return { type, encoding, body: qpWrap(qpEncode(Buffer.from(content)), LINE) };
  if (encoding === 'base64') return { type, encoding, body: base64Body(Buffer.from(content)) };
  return { type, encoding, body: content };
}

// Boundaries: a random per-process prefix and a counter, instead of random bytes per message. "=_" cannot occur in
// quoted-printable (which writes "=" only before two hex digits or a line break) nor in base64, so only a 7bit
// part could hold the boundary, and that is checked.
const boundaryPrefix = `=_cf_${randomBytes(6).toString('hex')}_`;
let boundaryCounter = 0;

function boundaryFor(mail: ComposeInput, parts: readonly Part[]): string {
  if (mail.baseBoundary) return `--_NmP-${mail.baseBoundary}-Part_1`;
  for (;;) {
    const b = boundaryPrefix + (boundaryCounter++).toString(36);
    if (!parts.some((p) => p.encoding === '7bit' && p.body.includes(b))) return b;
  }
}

function text(mail: ComposeInput, key: 'text' | 'html'): string {
  const v = mail[key];
  if (!v) return '';
  if (typeof v !== 'string') throw new UnsupportedMessageError(`only text given as a string can be composed (${key})`);
  return v;
}

function address(v: SendMailOptions['from'], key: string): string {
  if (typeof v === 'string') return mailboxValue(v);
  if (v && !Array.isArray(v) && typeof v.address === 'string') return mailboxValue(v.address, v.name || '');
  throw new UnsupportedMessageError(`${key} must be one address, as a string or {name, address}`);
}

/** Adds the header unless its value is blank: nodemailer leaves those out. */
function push(lines: string[], key: string, value: string): void {
  if (value.trim()) lines.push(headerLine(key, value));
}

function customHeaders(mail: ComposeInput, lines: string[]): void {
  const headers = mail.headers ?? {};
  if (Array.isArray(headers)) throw new UnsupportedMessageError('headers must be given as an object');
  for (const [key, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v !== 'string') throw new UnsupportedMessageError(`the ${key} header must be text`);
      push(lines, customHeaderKey(key), unstructuredValue(v));
    }
  }
}

/**
 * The message nodemailer would compose from `mail`, byte for byte, and its Message-ID. From, To, Subject, text,
 * HTML, custom headers, Message-ID and Date only: anything else (attachments, raw parts, streams) is refused.
 */
export function composeMessage(mail: ComposeInput): { raw: Buffer; messageId: string } {
  for (const key of Object.keys(mail))
    if (!SUPPORTED.has(key) && (mail as Record<string, unknown>)[key] !== undefined)
      throw new UnsupportedMessageError(`the ${key} option cannot be composed here`);
  const textPart = text(mail, 'text');
  const htmlPart = text(mail, 'html');
  const parts = [
    ...(textPart ? [part('text/plain; charset=utf-8', textPart)] : []),
    ...(htmlPart ? [part('text/html; charset=utf-8', htmlPart)] : []),
  ];
  const lines: string[] = [];
  customHeaders(mail, lines);
  const from = mail.from ? address(mail.from, 'from') : '';
  if (from) push(lines, 'From', from);
  if (mail.to) push(lines, 'To', address(mail.to, 'to'));
  if (mail.subject) push(lines, 'Subject', unstructuredValue(mail.subject));
  const messageId = mail.messageId || `<${randomUUID()}@${from.split('@').pop()?.replace('>', '') || 'localhost'}>`;
  lines.push(headerLine('Message-ID', messageIdValue(messageId)));
  const date =
    typeof mail.date === 'string' ? unstructuredValue(mail.date) : dateValue(mail.date ? mail.date : new Date());
  // nodemailer writes a given Date with the addresses, a missing one after the transfer encoding.
  if (mail.date) push(lines, 'Date', date);
  const single = parts.length === 1 ? parts[0] : parts.length === 0 ? part('text/plain', '') : undefined;
  if (single?.encoding) lines.push(`Content-Transfer-Encoding: ${single.encoding}`);
  if (!mail.date) push(lines, 'Date', date);
  lines.push('MIME-Version: 1.0');
  let out: string;
  if (single) {
    lines.push(`Content-Type: ${single.type}`);
    out = `${lines.join('\r\n')}\r\n\r\n${single.body}`;
  } else {
    const boundary = boundaryFor(mail, parts);
    lines.push(headerLine('Content-Type', `multipart/alternative; boundary="${boundary}"`));
    out = `${lines.join('\r\n')}\r\n\r\n`;
    parts.forEach((p, i) => {
      out += `${i > 0 ? '\r\n' : ''}--${boundary}\r\nContent-Type: ${p.type}\r\nContent-Transfer-Encoding: ${p.encoding}\r\n\r\n${p.body}`;
    });
    out += `\r\n--${boundary}--\r\n`;
  }
  // nodemailer's LastNewline: the message ends with a line break.
  if (!out.endsWith('\n')) out += out.endsWith('\r') ? '\n' : '\r\n';
  return { raw: Buffer.from(out, 'utf8'), messageId };
}
