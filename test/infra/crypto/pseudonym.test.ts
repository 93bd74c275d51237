import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { SubjectRef } from '../../../domain/ids.js';
import { addressHash, createPseudonymizer } from '../../../infra/crypto/pseudonym.js';

const key = randomBytes(32);

test('subjectRef is sr_ plus 22 base64url characters and is stable for one key', () => {
  const ref = createPseudonymizer(key);
  fc.assert(
    fc.property(fc.string({ minLength: 1 }), (id) => {
      const r = ref(id);
      assert.ok(SubjectRef.safeParse(r).success);
      assert.equal(r, ref(id));
    }),
  );
});

test('subjectRef differs across keys and across ids, and never contains the id', () => {
  const a = createPseudonymizer(key)('alice@example.com');
  assert.notEqual(a, createPseudonymizer(randomBytes(32))('alice@example.com'));
  assert.notEqual(a, createPseudonymizer(key)('bob@example.com'));
  assert.ok(!a.includes('alice'));
});

test('address hash ignores case, surrounding space and phone separators', () => {
  assert.equal(addressHash(key, ' Alice@Example.COM '), addressHash(key, 'alice@example.com'));
  assert.equal(addressHash(key, '+49 (30) 123-456'), addressHash(key, '+4930123456'));
  assert.notEqual(addressHash(key, 'alice@example.com'), addressHash(key, 'alice@example.org'));
});

test('address hash is domain-separated from the subject ref', () => {
  const ref = createPseudonymizer(key)('alice@example.com');
  assert.ok(!addressHash(key, 'alice@example.com').includes(ref.slice(3)));
});
