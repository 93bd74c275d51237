import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SubjectRef } from '../../../domain/ids.js';
import {
  DecryptionError,
  UnknownMasterKeyError,
  createEnvelope,
  decryptField,
  encryptField,
  masterKeyId,
} from '../../../infra/crypto/envelope.js';

const refA = SubjectRef.parse('sr_AAAAAAAAAAAAAAAAAAAAAA');
const refB = SubjectRef.parse('sr_BBBBBBBBBBBBBBBBBBBBBB');

test('a wrapped data key unwraps to the same key and names the current master key', () => {
  const env = createEnvelope({ current: randomBytes(32) });
  const dek = env.newDataKey();
  const wrapped = env.wrap(dek, refA);
  assert.ok(wrapped.startsWith(`w1.${env.currentKeyId}.`));
  const u = env.unwrap(wrapped, refA);
  assert.deepEqual(u.dek, dek);
  assert.equal(u.stale, false);
});

test('a wrapped data key cannot be unwrapped for another subject', () => {
  const env = createEnvelope({ current: randomBytes(32) });
  const wrapped = env.wrap(env.newDataKey(), refA);
  assert.throws(() => env.unwrap(wrapped, refB), DecryptionError);
});

test('master key rotation: old wraps unwrap through previous keys and rewrap to the current key', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(48);
  const oldEnv = createEnvelope({ current: oldKey });
  const dek = oldEnv.newDataKey();
  const wrappedOld = oldEnv.wrap(dek, refA);

  const rotated = createEnvelope({ current: newKey, previous: [oldKey] });
  const u = rotated.unwrap(wrappedOld, refA);
  assert.deepEqual(u.dek, dek);
  assert.equal(u.stale, true);
  assert.equal(u.keyId, masterKeyId(oldKey));

  const rewrapped = rotated.rewrap(wrappedOld, refA);
  assert.ok(rewrapped.startsWith(`w1.${masterKeyId(newKey)}.`));
  assert.equal(rotated.rewrap(rewrapped, refA), rewrapped);
  // Once the old key is retired, only rewrapped keys still open.
  const retired = createEnvelope({ current: newKey });
  assert.deepEqual(retired.unwrap(rewrapped, refA).dek, dek);
  assert.throws(() => retired.unwrap(wrappedOld, refA), UnknownMasterKeyError);
});

test('field ciphertexts round-trip and hold no plaintext', () => {
  const dek = randomBytes(32);
  const ct = encryptField(dek, refA, 'email', 'alice@example.com');
  assert.ok(!ct.includes('alice'));
  assert.equal(decryptField(dek, refA, 'email', ct), 'alice@example.com');
});

test('field ciphertexts cannot be swapped between fields, subjects or keys', () => {
  const dek = randomBytes(32);
  const ct = encryptField(dek, refA, 'email', 'alice@example.com');
  assert.throws(() => decryptField(dek, refA, 'first_name', ct), DecryptionError);
  assert.throws(() => decryptField(dek, refB, 'email', ct), DecryptionError);
  assert.throws(() => decryptField(randomBytes(32), refA, 'email', ct), DecryptionError);
  assert.throws(() => decryptField(dek, refA, 'email', 'garbage'), DecryptionError);
});
