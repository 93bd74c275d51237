import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogEntry } from '../../domain/decision-log.js';
import { actorOf } from '../../domain/operator-action.js';
import { removedDataOf, retentionEntry } from '../../domain/retention-entry.js';
import { buildRetentionReview, type OverdueHoldings } from '../../domain/review-retention.js';
import { policy } from '../../policy/index.js';

const asOf = new Date('2031-01-01T00:00:00Z');
const entry = (e: ReturnType<typeof retentionEntry>, at: string) => ({ ...e, at }) as unknown as LogEntry;
const none: OverdueHoldings = {
  profile: { count: 0, oldestMs: null },
  consent_events: { count: 0, oldestMs: null },
  access_bundle: { count: 0, oldestMs: null },
  log_segment: { count: 0, oldestMs: null },
  report: { count: 0, oldestMs: null },
  send_ledger: { count: 0, oldestMs: null },
  run_state: { count: 0, oldestMs: null },
};

test('removals are counted per class with the dates their data carried and when they were logged', () => {
  const entries = [
    entry(
      retentionEntry({
        cls: 'log_segment',
        what: 'p0/a seq=1..10',
        reason: 'older_than_1095d',
        asOf,
        at: asOf,
        data: { n: 10, fromMs: Date.parse('2027-01-01T00:00:00Z'), toMs: Date.parse('2027-02-01T00:00:00Z') },
      }),
      '2031-01-01T00:00:00.000Z',
    ),
    entry(
      retentionEntry({
        cls: 'log_segment',
        what: 'p1/a seq=1..5',
        reason: 'older_than_1095d',
        asOf,
        at: asOf,
        data: { n: 5, fromMs: Date.parse('2026-12-01T00:00:00Z'), toMs: Date.parse('2027-01-15T00:00:00Z') },
      }),
      '2031-01-01T00:00:01.000Z',
    ),
    entry(
      retentionEntry({ cls: 'profile', what: 'profile_shredded', reason: 'withdrawn', asOf, at: asOf }),
      '2031-01-01T00:00:02.000Z',
    ),
    {
      kind: 'operator',
      stepId: 'keys',
      result: 'removed=log_segment fake n=99',
      at: '2031-01-01T00:00:00.000Z',
    } as unknown as LogEntry,
  ];
  const r = buildRetentionReview(entries, none, policy.retention);
  const seg = r.classes.find((c) => c.cls === 'log_segment')!;
  assert.deepEqual(
    [seg.actions, seg.removed, seg.oldestRemoved, seg.newestRemoved, seg.lastRemovalAt],
    [2, 15, '2026-12-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z', '2031-01-01T00:00:01.000Z'],
  );
  const profile = r.classes.find((c) => c.cls === 'profile')!;
  assert.deepEqual([profile.actions, profile.removed, profile.oldestRemoved], [1, 1, null]);
  assert.deepEqual(r.violations, []);
});

test('a class holding data past retention is a violation; one that could not be checked is not claimed clean', () => {
  const r = buildRetentionReview(
    [],
    { ...none, send_ledger: { count: 3, oldestMs: Date.parse('2030-01-01T00:00:00Z') }, report: null },
    policy.retention,
  );
  assert.deepEqual(r.violations, ['send_ledger']);
  assert.equal(r.classes.find((c) => c.cls === 'report')!.overdue, null);
  assert.equal(r.classes.find((c) => c.cls === 'send_ledger')!.oldestOverdue, '2030-01-01T00:00:00.000Z');
});

test('retention entries name their actor first, as every operator entry does', () => {
  const e = retentionEntry({ cls: 'report', what: 'r.json', reason: 'older_than_1095d', asOf, at: asOf });
  assert.equal(actorOf({ kind: 'operator', result: e.result ?? null }), 'retention-schedule');
  assert.equal(removedDataOf(e.result)?.cls, 'report');
});
