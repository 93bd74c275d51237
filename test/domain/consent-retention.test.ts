import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { rebuild } from '../../domain/consent-state.js';
import { consentEventsPastRetention } from '../../domain/consent-retention.js';
import type { ConsentEvent } from '../../domain/consent.js';

const DAY = 86_400_000;
const now = Date.parse('2031-06-01T00:00:00Z');
const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
const ev = (
  id: string,
  type: ConsentEvent['type'],
  daysAgo: number,
  purpose = 'marketing.email.newsletter',
  channel: ConsentEvent['channel'] = 'email',
) => ({ id, type, purpose, channel, occurredAt: at(daysAgo) }) as unknown as ConsentEvent;

test('a grant goes retention after its withdrawal; the withdrawal, being the latest answer, stays', () => {
  const history = [ev('g', 'granted', 900), ev('w', 'withdrawn', 400)];
  assert.deepEqual(
    consentEventsPastRetention(history, 365, now).map((e) => e.id),
    ['g'],
  );
  assert.deepEqual(
    consentEventsPastRetention(history, 500, now),
    [],
    'inside retention counted from the withdrawal nothing goes',
  );
});

test('a withdrawal superseded by a later grant goes only once that grant is past retention; other purposes are independent', () => {
  const history = [
    ev('g1', 'granted', 1000),
    ev('w', 'withdrawn', 800),
    ev('s', 'granted', 700, 'marketing.sms.promotions', 'sms'),
    ev('g2', 'granted', 100),
  ];
  assert.deepEqual(
    consentEventsPastRetention(history, 365, now).map((e) => e.id),
    ['g1'],
  );
  assert.deepEqual(
    consentEventsPastRetention(history, 50, now).map((e) => e.id),
    ['g1', 'w'],
  );
});

test('a backdated later answer does not make an earlier, younger one due', () => {
  assert.deepEqual(consentEventsPastRetention([ev('a', 'granted', 10), ev('b', 'withdrawn', 900)], 365, now), []);
});

const arb = fc.array(
  fc.record({
    type: fc.constantFrom('granted', 'withdrawn', 'expired', 'reconfirmed'),
    daysAgo: fc.integer({ min: 0, max: 3000 }),
    key: fc.integer({ min: 0, max: 2 }),
  }),
  { maxLength: 30 },
);

test('removing what is due never changes the projection the guard decides from (property)', () => {
  fc.assert(
    fc.property(arb, fc.integer({ min: 1, max: 2000 }), (specs, days) => {
      const purposes = ['marketing.email.newsletter', 'marketing.sms.promotions', 'sharing.third_party.ads'] as const;
      const history = specs.map((s, i) =>
        ev(`e${i}`, s.type as ConsentEvent['type'], s.daysAgo, purposes[s.key], s.key === 1 ? 'sms' : 'email'),
      );
      const due = new Set(consentEventsPastRetention(history, days, now));
      assert.deepEqual(rebuild(history.filter((e) => !due.has(e))), rebuild(history));
      for (const e of due)
        assert.ok(Date.parse(e.occurredAt) < now - days * DAY, 'only events older than retention go');
    }),
  );
});
