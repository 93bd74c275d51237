import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ulid } from 'ulid';
import { detectAnomalies } from '../../domain/review-anomalies.js';
import { addWorkingDays, pendingDoubleOptIns, ulidTime, withdrawnBefore } from '../../domain/review-checks.js';
import { consent, policy, T0, tally } from './review-fixtures.js';

test('withdrawal replay: the most specific answer wins, later events do not count', () => {
  const parent = consent('withdrawn', T0, { purpose: 'marketing.email' });
  const child = consent('granted', T0 + 10);
  assert.equal(withdrawnBefore(policy, [parent], 'marketing.email.newsletter', 'email', T0 + 5), true);
  assert.equal(withdrawnBefore(policy, [parent, child], 'marketing.email.newsletter', 'email', T0 + 20), false);
  assert.equal(
    withdrawnBefore(policy, [consent('withdrawn', T0 + 100)], 'marketing.email.newsletter', 'email', T0),
    false,
  );
  assert.equal(withdrawnBefore(policy, [parent], 'marketing.email.newsletter', 'sms', T0 + 5), false);
});

test('pending double opt-ins count until confirmed; ULID times and working days', () => {
  const p = consent('granted', T0, { pending: true });
  assert.equal(pendingDoubleOptIns([p]), 1);
  assert.equal(pendingDoubleOptIns([p, consent('reconfirmed', T0 + 1)]), 0);
  assert.equal(ulidTime(ulid(T0)), T0);
  assert.equal(ulidTime('ce-1'), null);
  // Friday 2025-07-04 + 1 working day is Monday 2025-07-07.
  assert.equal(
    new Date(addWorkingDays(Date.parse('2025-07-04T00:00:00Z'), 1)).toISOString().slice(0, 10),
    '2025-07-07',
  );
});

test('flags a deny rate and a send volume far from the baseline, and stays quiet on a steady campaign', () => {
  const base = Object.fromEntries(Array.from({ length: 7 }, (_, k) => [String(-1 - k), tally(95 + k, 5, 95 + k)]));
  const buckets = { noisy: { ...base, '0': tally(40, 60, 40) }, steady: { ...base, '0': tally(98, 4, 98) } };
  const found = detectAnomalies(buckets, T0, T0 + 86_400_000);
  assert.deepEqual(
    found.map((a) => [a.campaignId, a.metric]),
    [
      ['noisy', 'deny_rate'],
      ['noisy', 'send_volume'],
    ],
  );
  assert.equal(found[0]?.day, '2025-07-01');
  assert.deepEqual(
    detectAnomalies({ young: { '-1': tally(1, 0, 1), '0': tally(0, 100, 0) } }, T0, T0 + 86_400_000),
    [],
    'too little baseline: no verdict',
  );
});
