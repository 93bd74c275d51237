import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalEntry } from '../../../domain/decision-log-canonical.js';
import { unchainedEntry, type CheckedEntryInput } from '../../../domain/decision-log-stamp.js';
import { entryHash, headMac, logMac } from '../../../infra/redis/decision-log-mac.js';

const hmac = (key: Buffer, text: string | Buffer): string => createHmac('sha256', key).update(text).digest('hex');

test('the log MAC is HMAC-SHA256 (RFC 4231 test cases 2 and 6, a key longer than a block)', () => {
  assert.equal(
    logMac(Buffer.from('Jefe'), 'what do ya want for nothing?'),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  );
  assert.equal(
    logMac(Buffer.alloc(131, 0xaa), 'Test Using Larger Than Block-Size Key - Hash Key First'),
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  );
});

test('the log MAC equals createHmac for any key and any text, non-ASCII and lone surrogates included', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 150 }),
      fc.oneof(fc.string({ unit: 'grapheme', maxLength: 600 }), fc.string({ unit: 'binary', maxLength: 600 })),
      (k, text) => {
        const key = Buffer.from(k);
        assert.equal(logMac(key, text), hmac(key, text));
        assert.equal(logMac(key, Buffer.from(text)), hmac(key, Buffer.from(text)));
      },
    ),
    { numRuns: 500 },
  );
});

test('the log MAC keeps keys apart and holds for texts longer than any seen before', () => {
  const [a, b] = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
  const long = 'é'.repeat(50_000);
  for (const text of ['x', long, 'y', `${long}${long}`, '']) {
    assert.equal(logMac(a, text), hmac(a, text));
    assert.equal(logMac(b, text), hmac(b, text));
  }
});

test('an entry has the canonical text and MAC it had before (known answer, non-ASCII text)', () => {
  const input: CheckedEntryInput = {
    subjectRef: 'sr_AAAAAAAAAAAAAAAAAAAAAA' as CheckedEntryInput['subjectRef'],
    kind: 'decision',
    outcome: 'allow',
    campaignId: 'Frühjahr ☀ 𝄞 sale',
    runId: 'run-1',
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    processor: 'smtp-relay',
    noticeVersion: '3',
    policyVersion: 'pv-1',
    fieldsRequested: ['email', 'firstName'],
    fieldsReleased: ['firstName', 'email'],
    jurisdiction: 'EU',
    smtpCode: 250,
  };
  const e = unchainedEntry(input, '01J00000000000000000000000', '2025-01-02T03:04:05.006Z', 7);
  e.seq = 42;
  e.prevHash = 'ab'.repeat(32);
  const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
  const canonical = canonicalEntry(e);
  assert.equal(
    canonical,
    '["v2","01J00000000000000000000000","2025-01-02T03:04:05.006Z",42,7,"decision","sr_AAAAAAAAAAAAAAAAAAAAAA",' +
      '"Frühjahr ☀ 𝄞 sale",null,null,"run-1",null,"marketing.email.newsletter","email","smtp-relay","allow",[],null,' +
      '"3","pv-1",["email","firstName"],["firstName","email"],[],null,null,null,null,250,null,"EU",null,null,null,' +
      `null,null,null,"${'ab'.repeat(32)}"]`,
  );
  assert.equal(entryHash(key, canonical), '19fd71bf57c3b045316790c629b972d9d73ae0192251b7b54bad5103e397df31');
  assert.equal(
    headMac(key, 7, 42, 'ab'.repeat(32)),
    'aaa8d0047d7f6d57916272e80aab63f172947c6f0ec08c4d28606d333fe7d32f',
  );
  assert.equal(
    entryHash(Buffer.alloc(100, 7), canonical),
    '8410f9a2bf1bc7b0d4fb1320e8959c182826f37a45a307e283b4ec23a2b564e2',
  );
});
