import assert from 'node:assert/strict';
import { hkdfSync, randomBytes } from 'node:crypto';
import { compactDecrypt } from 'jose';
import { test } from 'node:test';
import type { SubjectRef } from '../../domain/ids.js';
import { rotateRing, retireKey, type KeyRing } from '../../infra/keyring.js';
import { LINK_TOKEN_PATTERN, LinkTokens } from '../../infra/tokens.js';
import { signLegacyToken } from '../../infra/tokens-legacy.js';

const sub = 'sr_AbCdEfGhIjKlMnOpQrStUv' as SubjectRef;
const claims = {
  scope: 'unsubscribe',
  sub,
  purpose: 'marketing.email.newsletter',
  channel: 'email',
  campaign: 'welcome-series',
} as const;
const ring = (id: string): KeyRing => ({ current: { id, key: randomBytes(32) }, previous: [] });
const kidOf = (t: string): unknown =>
  (JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()) as { kid?: unknown }).kid;

test('a link token is opaque: no part decodes to the subject, purpose, campaign or expiry', async () => {
  const t = await new LinkTokens(ring('token-a')).sign(claims);
  assert.match(t, new RegExp(LINK_TOKEN_PATTERN));
  const decoded = t
    .split('.')
    .map((p) => Buffer.from(p, 'base64url').toString('latin1'))
    .join('|');
  for (const secret of [sub, 'marketing', 'newsletter', 'welcome', 'exp', 'unsubscribe'])
    assert.ok(!decoded.includes(secret), secret);
  assert.deepEqual(JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()), {
    alg: 'dir',
    enc: 'A256GCM',
    kid: 'token-a',
  });
});

test('after a token key rotation new links use the new key id and links already mailed keep working until expiry', async () => {
  const before = ring('token-a');
  const mailed = await new LinkTokens(before).sign(claims);
  const rotated = rotateRing(before, { id: 'token-b', key: randomBytes(32) });
  const tokens = new LinkTokens(rotated);
  const fresh = await tokens.sign(claims);
  assert.equal(kidOf(fresh), 'token-b');
  assert.equal(kidOf(mailed), 'token-a');
  for (const t of [mailed, fresh])
    assert.deepEqual(await tokens.verify(t, 'unsubscribe').then((r) => r.ok && r.claims.sub), sub);
  // Once the old key is retired (after the longest link lifetime), its links are refused like forgeries.
  const retired = new LinkTokens(retireKey(rotated, 'token-a'));
  assert.equal((await retired.verify(mailed, 'unsubscribe')).ok, false);
  assert.equal((await retired.verify(fresh, 'unsubscribe')).ok, true);
  // A rotated link still expires.
  const later = new LinkTokens(rotated, () => Date.now() + 401 * 86_400_000);
  assert.deepEqual(await later.verify(mailed, 'unsubscribe'), {
    ok: false,
    code: 'expired',
    message: 'this link has expired; open the latest email or ask for a new link',
  });
});

test('v1 signed links mailed before the switch keep working until they expire, under the current or a previous key', async () => {
  const r = rotateRing(ring('token-a'), { id: 'token-b', key: randomBytes(32) });
  const exp = Math.floor(Date.now() / 1000) + 86_400;
  const old = signLegacyToken({ v: 1, ...claims, exp }, r.previous[0]!.key);
  assert.match(old, new RegExp(LINK_TOKEN_PATTERN));
  assert.equal((await new LinkTokens(r).verify(old, 'unsubscribe')).ok, true);
  assert.equal((await new LinkTokens(r, () => (exp + 1) * 1000).verify(old, 'unsubscribe')).ok, false);
  const forged = signLegacyToken({ v: 1, ...claims, exp }, randomBytes(32));
  assert.equal((await new LinkTokens(r).verify(forged, 'unsubscribe')).ok, false);
});

test('a token under an unknown key id or with a flipped bit is refused as bad_signature, revealing nothing', async () => {
  const t = await new LinkTokens(ring('token-a')).sign(claims);
  const other = await new LinkTokens(ring('token-z')).sign(claims);
  const p = t.split('.');
  const flipped = [p[0], p[1], p[2], p[3], `${p[4]!.slice(0, -2)}${p[4]!.endsWith('AA') ? 'BA' : 'AA'}`].join('.');
  for (const bad of [other, flipped])
    assert.deepEqual(await new LinkTokens(ring('token-a')).verify(bad, 'unsubscribe'), {
      ok: false,
      code: 'bad_signature',
      message: 'this link is not valid; use the link from your latest email',
    });
});

test('a token is a standard compact JWE that jose opens with the HKDF content key, with a fresh nonce each time', async () => {
  const r = ring('token-a');
  const tokens = new LinkTokens(r);
  const a = await tokens.sign(claims);
  const b = await tokens.sign(claims);
  assert.notEqual(a.split('.')[2], b.split('.')[2], 'every token carries its own nonce');
  const key = new Uint8Array(hkdfSync('sha256', r.current.key, Buffer.alloc(0), 'consentflow/link-jwe/v1', 32));
  const { plaintext, protectedHeader } = await compactDecrypt(a, key, {
    keyManagementAlgorithms: ['dir'],
    contentEncryptionAlgorithms: ['A256GCM'],
  });
  assert.equal(protectedHeader.kid, 'token-a');
  assert.deepEqual(
    { ...(JSON.parse(new TextDecoder().decode(plaintext)) as object), exp: 0 },
    { v: 1, ...claims, exp: 0 },
  );
  // A flipped bit in the header (the additional authenticated data) fails authentication.
  const [h, ...rest] = a.split('.');
  const bent = Buffer.from(h!, 'base64url').toString().replace('token-a', 'token-b');
  await assert.rejects(
    compactDecrypt([Buffer.from(bent).toString('base64url'), ...rest].join('.'), key),
    /decryption operation failed/,
  );
});
