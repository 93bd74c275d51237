import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, loadPolicy, policyVersion } from '../../infra/policy-loader.js';
import { policy } from '../../policy/index.js';

test('policy version is the sha256 of the canonical bundle and ignores key order', () => {
  const { version, policy: compiled } = loadPolicy(policy);
  assert.match(version, /^[0-9a-f]{64}$/);
  assert.equal(compiled.version, version);
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
  const reordered = Object.fromEntries(Object.entries(policy).reverse()) as typeof policy;
  assert.equal(policyVersion(reordered), version);
});

test('any change to an allow-list changes the policy version', () => {
  const changed = {
    ...policy,
    purposes: policy.purposes.map((p, i) => (i === 0 ? { ...p, allowedFields: [...p.allowedFields, 'city'] } : p)),
  };
  assert.notEqual(policyVersion(changed), loadPolicy(policy).version);
});
