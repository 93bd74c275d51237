import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateCondition, msUntilWindow } from '../../activities/conditions.js';

const at = (iso: string) => Date.parse(iso);

test('inside the local window there is no wait', () => {
  assert.equal(msUntilWindow(at('2026-03-02T10:00:00Z'), 'Europe/Berlin', { start: '09:00', end: '20:00' }), 0);
});

test('before the window the wait runs to its local start, in the subject timezone', () => {
  // 06:30 in Shanghai (UTC+8) is 22:30Z the day before; 09:00 local is 2.5 h later.
  assert.equal(
    msUntilWindow(at('2026-03-01T22:30:00Z'), 'Asia/Shanghai', { start: '09:00', end: '20:00' }),
    150 * 60_000,
  );
});

test('after the window the wait runs to the next day', () => {
  assert.equal(msUntilWindow(at('2026-03-02T21:00:00Z'), 'UTC', { start: '09:00', end: '20:00' }), 12 * 3_600_000);
});

test('a window that ends before it starts wraps midnight', () => {
  const night = { start: '22:00', end: '06:00' };
  assert.equal(msUntilWindow(at('2026-03-02T23:30:00Z'), 'UTC', night), 0);
  assert.equal(msUntilWindow(at('2026-03-02T03:00:00Z'), 'UTC', night), 0);
  assert.equal(msUntilWindow(at('2026-03-02T12:00:00Z'), 'UTC', night), 10 * 3_600_000);
});

test('an unknown or missing timezone falls back to UTC instead of sending at an unchecked hour', () => {
  const w = { start: '09:00', end: '20:00' };
  const t = at('2026-03-02T05:00:00Z');
  assert.equal(msUntilWindow(t, 'Mars/Olympus_Mons', w), 4 * 3_600_000);
  assert.equal(msUntilWindow(t, undefined, w), 4 * 3_600_000);
});

test('field conditions compare stored strings, numbers and lists, and a missing value never matches', () => {
  assert.equal(evaluateCondition({ kind: 'field', field: 'loyalty_tier', op: 'eq', value: 'gold' }, 'gold'), true);
  assert.equal(
    evaluateCondition({ kind: 'field', field: 'loyalty_tier', op: 'in', value: ['gold', 'platinum'] }, 'silver'),
    false,
  );
  assert.equal(evaluateCondition({ kind: 'field', field: 'birth_year', op: 'gte', value: 1990 }, '1995'), true);
  assert.equal(evaluateCondition({ kind: 'field', field: 'birth_year', op: 'lte', value: 1990 }, '1995'), false);
  assert.equal(evaluateCondition({ kind: 'field', field: 'city', op: 'exists' }, ''), false);
  assert.equal(evaluateCondition({ kind: 'field', field: 'city', op: 'neq', value: 'Graz' }, undefined), false);
});
