import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig, parseEnv } from '../../infra/config.js';
import { freshKey, keyStatus, KEY_KINDS, rotateRing, type KeyKind, type KeyRing } from '../../infra/keyring.js';

const b64 = (n: number) => Buffer.alloc(32, n).toString('base64');

test("the review sees each key's age and last rotation", () => {
  const made = new Date('2026-01-01T00:00:00Z');
  const rings = Object.fromEntries(
    KEY_KINDS.map((k): [KeyKind, KeyRing] => [k, { current: freshKey(k, made), previous: [] }]),
  ) as Record<KeyKind, KeyRing>;
  const rotatedAt = new Date('2026-03-01T00:00:00Z');
  rings.token = rotateRing(rings.token, freshKey('token', rotatedAt));
  const s = Object.fromEntries(keyStatus(rings, new Date('2026-03-11T00:00:00Z')).map((k) => [k.key, k]));
  assert.deepEqual([s.master?.ageDays, s.master?.lastRotatedAt, s.master?.previous], [69, null, 0]);
  assert.deepEqual([s.token?.ageDays, s.token?.lastRotatedAt, s.token?.previous], [10, rotatedAt.toISOString(), 1]);
});

test('keys from the environment carry their id and previous keys; a bad previous-keys value names the variable', () => {
  const env = parseEnv({
    CONSENTFLOW_TOKEN_KEY: b64(1),
    CONSENTFLOW_TOKEN_KEY_ID: 'token-2',
    CONSENTFLOW_TOKEN_PREVIOUS_KEYS: `token-1:${b64(2)}`,
  });
  const c = buildConfig(env, {
    masterKey: Buffer.alloc(32, 3),
    pseudonymKey: Buffer.alloc(32, 4),
    logKey: Buffer.alloc(32, 5),
    codecKey: Buffer.alloc(32, 6),
  });
  assert.equal(c.secrets.rings.token.current.id, 'token-2');
  assert.deepEqual(
    c.secrets.rings.token.previous.map((k) => [k.id, k.key.toString('base64')]),
    [['token-1', b64(2)]],
  );
  assert.match(
    c.secrets.rings.master.current.id,
    /^master-[0-9a-f]{10}$/,
    'a key without an id gets a stable fingerprint',
  );
  assert.throws(
    () => parseEnv({ CONSENTFLOW_TOKEN_PREVIOUS_KEYS: 'nokey' }),
    /CONSENTFLOW_TOKEN_PREVIOUS_KEYS: CONSENTFLOW_TOKEN_PREVIOUS_KEYS must be id:base64key/,
  );
});
