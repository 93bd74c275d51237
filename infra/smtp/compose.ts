import { createRequire } from 'node:module';
import type { SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

// nodemailer builds a message through a chain of streams per MIME part (a PassThrough, an encoder, a setImmediate
// per part), which cost about as much CPU as the rest of a guarded send. The tree, its headers and the choice of
// transfer encoding stay nodemailer's own; only the walk that writes them out is done here, synchronously, with
// nodemailer's own encoders, so the bytes are the ones its stream would have produced (a test compares both).
const require = createRequire(import.meta.url);
const qp = require('nodemailer/lib/qp/index.js') as { encode(b: Buffer): string; wrap(s: string, n: number): string };
const base64 = require('nodemailer/lib/base64/index.js') as {
  encode(b: Buffer): string;
  wrap(s: string, n: number): string;
};

/** The parts of nodemailer's MIME node this walk reads (its declared types leave the tree out). */
interface TreeNode {
  /** "Q" or "B" when set; empty, nodemailer counts the text's letters on every call, with a regex match array. */
  textEncoding: string;
  getTransferEncoding(): string | false;
  buildHeaders(): string;
  readonly content?: unknown;
  readonly _raw?: unknown;
  readonly multipart?: string | false;
  readonly boundary?: string;
  readonly childNodes: readonly TreeNode[];
}

/** Thrown for a message this builder does not handle (content from files, URLs or streams); a bug, never input. */
export class UnsupportedMessageError extends Error {
  override readonly name = 'UnsupportedMessageError';
}

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

/**
 * nodemailer's choice between quoted-printable ("Q") and base64 ("B") for a text part, counted without allocating:
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

function write(node: TreeNode, out: string[], root: boolean): void {
  if (node._raw) throw new UnsupportedMessageError('a raw MIME part cannot be composed here');
  // Told the choice it would make, a part skips the counting. Not the root: there it would also pick the encoding
  // of words in the subject and addresses.
  if (!root && !node.textEncoding && typeof node.content === 'string') node.textEncoding = textEncodingOf(node.content);
  const encoding = node.getTransferEncoding();
  out.push(`${node.buildHeaders()}\r\n\r\n`);
  const content = node.content;
  if (content) {
    if (typeof content !== 'string')
      throw new UnsupportedMessageError('only parts with text content can be composed here');
    // As nodemailer's stream does: the text as UTF-8 bytes, in one chunk.
    if (encoding === 'quoted-printable') out.push(qp.wrap(qp.encode(Buffer.from(content, 'utf8')), LINE));
    else if (encoding === 'base64') out.push(base64Body(Buffer.from(content, 'utf8')));
    else out.push(content);
  }
  if (!node.multipart) return;
  node.childNodes.forEach((child, i) => {
    out.push(`${i > 0 ? '\r\n' : ''}--${node.boundary}\r\n`);
    write(child, out, false);
  });
  out.push(`\r\n--${node.boundary}--\r\n`);
}

/**
 * The message nodemailer would compose from `mail`, byte for byte, built without streams, and its Message-ID.
 * Parts with text content only: raw parts and content from files, URLs or streams are refused.
 */
export function composeMessage(mail: SendMailOptions): { raw: Buffer; messageId: string } {
  const root = new MailComposer(mail).compile();
  const messageId = root.messageId();
  const out: string[] = [];
  write(root as unknown as TreeNode, out, true);
  let text = out.join('');
  // nodemailer's LastNewline: the message ends with a line break.
  if (!text.endsWith('\n')) text += text.endsWith('\r') ? '\n' : '\r\n';
  return { raw: Buffer.from(text, 'utf8'), messageId };
}
