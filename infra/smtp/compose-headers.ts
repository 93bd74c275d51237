import { createRequire } from 'node:module';

// Header lines as nodemailer's MimeNode writes them, for the few headers a campaign message has. The encoding
// itself (RFC 2047 words, folding, address parsing) is nodemailer's; only the per-message MimeNode, its header
// list and its regex-counted encoding choice are left out.
const require = createRequire(import.meta.url);
const mimeFuncs = require('nodemailer/lib/mime-funcs/index.js') as {
  encodeWords(value: string, encoding: 'Q' | 'B', maxLength: number, encodeAll: boolean): string;
  foldLines(line: string, lineLength: number): string;
};
interface MimeNodeHelpers {
  _normalizeHeaderKey(key: string): string;
  _encodeHeaderValue(key: string, value: unknown): string;
}
const MimeNode = require('nodemailer/lib/mime-node/index.js') as new () => MimeNodeHelpers;
/** Used only for its pure helpers (no header list, no content): address parsing for unusual addresses. */
const helpers = new MimeNode();

/** Thrown for a message this builder does not handle (content from files, URLs or streams); a bug, never input. */
export class UnsupportedMessageError extends Error {
  override readonly name = 'UnsupportedMessageError';
}

/**
 * nodemailer's choice between quoted-printable ("Q") and base64 ("B") for a text, counted without allocating:
 * base64 unless ASCII letters outnumber control and non-ASCII UTF-16 units (its regexes have no u flag).
 */
export function textEncodingOf(text: string): 'Q' | 'B' {
  let latin = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) latin++;
    else if (c >= 0x80 || c <= 0x08 || c === 0x0b || c === 0x0c || (c >= 0x0e && c <= 0x1f)) other++;
  }
  return other < latin ? 'Q' : 'B';
}

/** `key: value`, folded at 76 as nodemailer folds every header line (a shorter line comes back unchanged). */
export function headerLine(key: string, value: string): string {
  const line = `${key}: ${value}`;
  return line.length < 76 ? line : mimeFuncs.foldLines(line, 76);
}

// encodeWords leaves a value alone unless some character is a quote or beyond ASCII.
const NEEDS_WORDS = /["\u0080-\uffff]/;
const LINE_BREAKS = /\r?\n|\r/g;

/** An unstructured header value (Subject, List-Unsubscribe, ...): line breaks become spaces, then RFC 2047. */
export function unstructuredValue(value: string): string {
  const flat = value.includes('\n') || value.includes('\r') ? value.replace(LINE_BREAKS, ' ') : value;
  return NEEDS_WORDS.test(flat) ? mimeFuncs.encodeWords(flat, textEncodingOf(flat), 52, true) : flat;
}

/** A Message-ID header value: line breaks become spaces and the id is enclosed in <>. */
export function messageIdValue(value: string): string {
  let v = value.replace(LINE_BREAKS, ' ');
  if (!v.startsWith('<')) v = `<${v}`;
  if (!v.endsWith('>')) v = `${v}>`;
  return v;
}

/** The Date header value nodemailer writes for a Date. */
export const dateValue = (d: Date): string => d.toUTCString().replace(/GMT/, '+0000');

// An address addressparser returns whole and nodemailer's normalisation only lower-cases the domain of: dot-atom
// characters before the @, an ASCII host name after it. Anything else takes nodemailer's own path.
const PLAIN_ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$/;
// A display name nodemailer writes as it is.
const PLAIN_NAME = /^[\w ]*$/;

/** A From or To value for one mailbox, given as a string or with a display name, as nodemailer writes it. */
export function mailboxValue(address: string, name?: string): string {
  if (PLAIN_ADDRESS.test(address) && (!name || PLAIN_NAME.test(name))) {
    const at = address.lastIndexOf('@');
    const normalized = address.slice(0, at + 1) + address.slice(at + 1).toLowerCase();
    return name ? `${name} <${normalized}>` : normalized;
  }
  return helpers._encodeHeaderValue('To', name === undefined ? address : { name, address });
}

// Header names a campaign message may carry besides the ones the builder writes itself. These are written by
// the builder or formatted specially by nodemailer (addresses, ids, dates, MIME structure), so a custom header
// with one of these names would not come out as plain text.
const RESERVED = new Set([
  'From',
  'Sender',
  'To',
  'Cc',
  'Bcc',
  'Reply-To',
  'In-Reply-To',
  'References',
  'Subject',
  'Message-ID',
  'Date',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'Content-Disposition',
  'Content-Id',
]);
const keys = new Map<string, string>();

/** The header name as nodemailer spells it (Camel-Case, MIME/DKIM/-ID upper case); remembered, as there are few. */
export function customHeaderKey(key: string): string {
  let k = keys.get(key);
  if (k === undefined) {
    k = helpers._normalizeHeaderKey(key);
    if (RESERVED.has(k)) throw new UnsupportedMessageError(`the ${k} header is written by the builder, not passed in`);
    if (keys.size < 256) keys.set(key, k);
  }
  return k;
}
