import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import fc from 'fast-check';
import { qpEncode, qpWrap } from '../../../infra/smtp/quoted-printable.js';

const require = createRequire(import.meta.url);
const nodemailerQp = require('nodemailer/lib/qp/index.js') as {
  encode(b: Buffer): string;
  wrap(s: string, n: number): string;
};

// Bytes that exercise every rule: printable ASCII, "=", whitespace before line breaks, control bytes and UTF-8.
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 600, size: 'max' }),
  fc
    .string({
      unit: fc.constantFrom(
        'a',
        'Z',
        '0',
        '=',
        ' ',
        '\t',
        '\r',
        '\n',
        '\r\n',
        '.',
        ',',
        '!',
        '?',
        '·',
        'ß',
        '中',
        '😀',
        '\x00',
        '\x7f',
      ),
      maxLength: 400,
      size: 'max',
    })
    .map((s) => new TextEncoder().encode(s)),
);

test('quoted-printable encoding gives nodemailer’s bytes for any input', () => {
  fc.assert(
    fc.property(bytes, (b) => {
      const buf = Buffer.from(b);
      assert.equal(qpEncode(buf), nodemailerQp.encode(buf));
    }),
    { numRuns: 2000 },
  );
});

// Lines of 16 or more, and "=" only where an escape starts: nodemailer's wrapper (and so this one) never ends on
// a line cut to nothing by shorter lines or by a lone "=" at the end, which no encoder writes.
test('soft line wrapping gives nodemailer’s text for encoded bodies and for arbitrary text, at any line length', () => {
  // Mostly long runs of line content, so most lines are cut by the wrapper's rules rather than by a line break.
  const unit = fc.oneof(
    { arbitrary: fc.constantFrom('a', 'F', '9', 'x'), weight: 20 },
    { arbitrary: fc.constantFrom('=3D', '=C3', '=A7', '=E4', '=F0', '=9F', '=0A'), weight: 6 },
    { arbitrary: fc.constantFrom(' ', '\t', '.', ',', '!', '?'), weight: 3 },
    { arbitrary: fc.constantFrom('\r', '\n', '\r\n', '\u2028'), weight: 1 },
  );
  const text = fc.oneof(
    bytes.map((b) => nodemailerQp.encode(Buffer.from(b))),
    fc.string({ unit, minLength: 60, maxLength: 1000, size: 'max' }),
  );
  fc.assert(
    fc.property(text, fc.oneof(fc.constant(76), fc.integer({ min: 16, max: 120 })), (s, n) => {
      assert.equal(qpWrap(s, n), nodemailerQp.wrap(s, n));
    }),
    { numRuns: 3000 },
  );
});

test('wrapped lines stay within 76 characters and decode back to the original bytes', () => {
  const sample = Buffer.from(`${'Grüße aus der Lindenstraße, '.repeat(20)}\r\nend with space \r\n`);
  const wrapped = qpWrap(qpEncode(sample));
  for (const line of wrapped.split('\r\n')) assert.ok(line.length <= 76, `line of ${line.length}: ${line}`);
  const decoded = Buffer.from(
    wrapped.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  );
  assert.deepEqual(decoded, sample);
});
