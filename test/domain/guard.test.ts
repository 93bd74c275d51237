import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, reasonOrder } from '../../domain/guard.js';
import { compiled, event, NOW, request, state } from './guard-fixtures.js';
import { consentRows } from './guard-rows-consent.js';
import { jurisdictionRows } from './guard-rows-jurisdiction.js';
import { policyRows } from './guard-rows-policy.js';
import { subjectRows } from './guard-rows-subject.js';
import { testRows } from './guard-table.js';

const rows = [...consentRows, ...policyRows, ...subjectRows, ...jurisdictionRows];
testRows(rows);

test('the table reaches every reason code', () => {
  const seen = new Set(rows.flatMap((r) => (r.expect === 'allow' ? [] : r.expect)));
  assert.deepEqual(
    reasonOrder.filter((c) => !seen.has(c)),
    [],
  );
});

test('an allow releases the template fields plus the address field and withholds nothing', () => {
  const d = decide(request({ fields: ['first_name', 'locale'] }), state([event()]), compiled, NOW);
  assert.equal(d.outcome, 'allow');
  assert.deepEqual(d.fieldsRequested, ['first_name', 'locale', 'email']);
  assert.deepEqual(d.fieldsReleased, ['first_name', 'locale', 'email']);
  assert.deepEqual(d.fieldsWithheld, []);
  assert.equal(d.policyVersion, 'test-policy-v1');
  assert.equal(d.decidedAt, NOW.toISOString());
});

test('a deny releases nothing and names the fields outside the allow-list', () => {
  const d = decide(request({ fields: ['email', 'health_interest'] }), state([event()]), compiled, NOW);
  assert.equal(d.outcome, 'deny');
  assert.deepEqual(d.fieldsRequested, ['email', 'health_interest']);
  assert.deepEqual(d.fieldsReleased, []);
  assert.deepEqual(d.fieldsWithheld, ['email', 'health_interest']);
  if (d.outcome === 'deny') assert.deepEqual(d.fieldsNotAllowed, ['health_interest']);
});

test('a decision names the consent event and notice it relied on, including an ancestor grant', () => {
  const grant = event({ purpose: 'marketing.email' });
  const d = decide(request(), state([grant]), compiled, NOW);
  assert.equal(d.consentEventId, grant.id);
  assert.equal(d.noticeVersion, 3);
  const none = decide(request(), state(), compiled, NOW);
  assert.equal(none.consentEventId, null);
  assert.equal(none.noticeVersion, null);
});
