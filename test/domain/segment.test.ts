import assert from 'node:assert/strict';
import { test } from 'node:test';
import { daysSince, defineSegment, matchesSegment, SegmentDefinitionError } from '../../domain/segment.js';
import { allSubscribers } from '../../segments/all-subscribers.js';
import { germanyLoyal } from '../../segments/germany-loyal.js';
import { lapsedCustomers } from '../../segments/lapsed-customers.js';
import { loyalMembers } from '../../segments/loyal-members.js';
import { newsletterSubscribers } from '../../segments/newsletter-subscribers.js';

const segments: Record<string, ReturnType<typeof defineSegment>> = Object.fromEntries(
  [allSubscribers, germanyLoyal, lapsedCustomers, loyalMembers, newsletterSubscribers].map((s) => [s.id, s]),
);

const now = Date.parse('2025-06-01T12:00:00Z');
const daysAgo = (d: number): string => new Date(now - d * 86_400_000).toISOString();

test('the predicate sees only the fields the segment declared', () => {
  let seen: string[] = [];
  const s = defineSegment({
    id: 'peek',
    description: 'x',
    reads: ['locale'],
    where: (p) => ((seen = Object.keys(p)), true),
  });
  matchesSegment(s, { locale: 'de', email: 'a@b.de', health_interest: 'x' }, now);
  assert.deepEqual(seen, ['locale']);
});

test('a declared field missing from the row is undefined, not a prototype member', () => {
  const s = defineSegment({
    id: 'proto',
    description: 'x',
    reads: ['constructor'],
    where: (p) => p.constructor === undefined,
  });
  assert.equal(matchesSegment(s, {}, now), true);
});

test('defineSegment names each bad path and requires a predicate', () => {
  assert.throws(
    () => defineSegment({ id: 'Bad', description: '', reads: ['Email'], where: () => true }),
    (e: unknown) => {
      assert.ok(e instanceof SegmentDefinitionError);
      assert.match(e.message, /id: segment id must be kebab-case/);
      assert.match(e.message, /description/);
      assert.match(e.message, /reads\[0\]: field names are lower snake_case/);
      return true;
    },
  );
  assert.throws(
    () => defineSegment({ id: 'x', description: 'x', reads: [], where: 1 as never }),
    /where: must be a function/,
  );
});

test('lapsed customers bought over 90 days ago and opened nothing for 30 days; never-buyers are out', () => {
  const s = segments['lapsed-customers'];
  assert.ok(s);
  assert.equal(matchesSegment(s, { last_purchase_at: daysAgo(120), last_open_at: daysAgo(45) }, now), true);
  assert.equal(matchesSegment(s, { last_purchase_at: daysAgo(120) }, now), true);
  assert.equal(matchesSegment(s, { last_purchase_at: daysAgo(120), last_open_at: daysAgo(3) }, now), false);
  assert.equal(matchesSegment(s, { last_purchase_at: daysAgo(10) }, now), false);
  assert.equal(matchesSegment(s, { last_open_at: daysAgo(100) }, now), false);
  assert.equal(matchesSegment(s, { last_purchase_at: 'not a date' }, now), false);
});

test('loyal members are gold or platinum; every shipped segment is keyed by its id', () => {
  const s = segments['loyal-members'];
  assert.ok(s);
  assert.deepEqual(
    ['gold', 'platinum', 'silver', 'none', undefined].map((t) => matchesSegment(s, { loyalty_tier: t }, now)),
    [true, true, false, false, false],
  );
  for (const [id, seg] of Object.entries(segments)) assert.equal(seg.id, id);
  assert.equal(daysSince(undefined, now), undefined);
});
