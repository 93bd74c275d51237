import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Campaign } from '../../domain/campaign.js';
import { effectiveThresholds, MonitorThresholds, windowMs } from '../../domain/monitor-thresholds.js';
import { countEntry, crossings, emptyCounts, type WindowCounts } from '../../domain/monitor-window.js';
import { Monitoring } from '../../domain/monitoring.js';
import { monitorPauseEntry } from '../../domain/monitor-entry.js';
import { LogEntryInput } from '../../domain/decision-log.js';

const defaults = MonitorThresholds.parse({});
const counts = (c: Partial<WindowCounts>): WindowCounts => ({ ...emptyCounts, ...c });

test('the policy defaults apply when nothing is written, and a campaign overrides one rate without losing the others', () => {
  assert.equal(defaults.window, '10m');
  assert.equal(defaults.minSample, 50);
  assert.equal(defaults.maxRates.complaint, 0.003);
  assert.deepEqual(Monitoring.parse({}).thresholds, defaults);
  const t = effectiveThresholds(defaults, { window: '1m', maxRates: { hard_bounce: 0.2 } });
  assert.equal(windowMs(t), 60_000);
  assert.equal(t.maxRates.hard_bounce, 0.2);
  assert.equal(t.maxRates.deny, defaults.maxRates.deny);
  assert.equal(t.minSample, 50);
});

test('bad thresholds are refused with the path and the fix', () => {
  const r = MonitorThresholds.safeParse({ maxRates: { hard_bounce: 5 }, window: 'ten minutes', minSample: 0 });
  assert.equal(r.success, false);
  const text = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
  assert.match(text, /maxRates\.hard_bounce: maxRates\.hard_bounce must be a share between 0 and 1/);
  assert.match(text, /window: "ten minutes" is not a duration/);
  assert.match(text, /minSample: minSample must be at least 1/);
  const c = Campaign.safeParse({
    id: 'x',
    name: 'x',
    description: 'x',
    purpose: 'marketing.email.promotions',
    audience: { segment: 's' },
    steps: [{ id: 'w', type: 'wait', duration: '1d' }],
    options: { monitor: { maxRates: { bounce: 0.1 } } },
  });
  assert.equal(c.success, false);
  assert.match(c.error!.issues[0]!.message, /bounce/);
  assert.equal(Monitoring.safeParse({ complianceContact: 'not mail' }).success, false);
});

test('one bounce out of two never pauses: a rate is judged only from its minimum sample', () => {
  const t = effectiveThresholds(defaults, { minSample: 10, maxRates: { hard_bounce: 0.2, failure: 0.5 } });
  assert.deepEqual(crossings(counts({ deliveries: 2, hardBounces: 1, failures: 1 }), t), []);
  const crossed = crossings(counts({ deliveries: 10, hardBounces: 3, failures: 3 }), t);
  assert.deepEqual(
    crossed.map((x) => x.rate),
    ['hard_bounce'],
  );
  assert.deepEqual(
    { count: crossed[0]!.count, sample: crossed[0]!.sample, threshold: crossed[0]!.threshold },
    { count: 3, sample: 10, threshold: 0.2 },
  );
  assert.deepEqual(
    crossings(counts({ deliveries: 10, hardBounces: 2, failures: 2 }), t),
    [],
    'at the threshold is not above it',
  );
});

test('every rate and an invariant breach can cross', () => {
  const t = effectiveThresholds(defaults, { minSample: 1 });
  const all = crossings(
    counts({
      decisions: 10,
      denies: 9,
      deliveries: 10,
      failures: 5,
      hardBounces: 1,
      complaints: 1,
      unsubscribes: 1,
      breaches: 1,
    }),
    t,
  );
  assert.deepEqual(all.map((x) => x.rate).sort(), [
    'complaint',
    'deny',
    'failure',
    'hard_bounce',
    'invariant_breach',
    'unsubscribe',
  ]);
});

test('entries count by kind: decisions and denies, deliveries, bounces, complaints; a re-decision adds a deny only', () => {
  const e = (kind: string, outcome: string, reasons: string[] = [], result: string | null = null) =>
    ({ kind, outcome, reasons, result }) as never;
  let c = emptyCounts;
  for (const x of [
    e('decision', 'allow'),
    e('decision', 'deny', ['notice_outdated']),
    e('decision', 'deny', ['consent_changed'], 'redecided_at_reservation'),
    e('delivery', 'sent'),
    e('delivery', 'failed', ['hard_bounce']),
    e('delivery', 'failed', ['smtp_rejected']),
    e('complaint', 'recorded'),
    e('outcome', 'held_out'),
  ])
    c = countEntry(c, x);
  assert.deepEqual(c, counts({ decisions: 2, denies: 2, deliveries: 3, failures: 2, hardBounces: 1, complaints: 1 }));
  assert.equal(countEntry(emptyCounts, e('decision', 'allow'), true).breaches, 1);
  assert.equal(countEntry(emptyCounts, e('decision', 'deny'), true).breaches, 0, 'a denial is never a breach');
});

test('the pause entry is a valid operator entry with actor monitor and the figures', () => {
  const entry = monitorPauseEntry({
    campaignId: 'promo',
    runId: '01K0000000000000000000000A',
    window: '1m',
    at: new Date('2026-01-01T00:00:00.000Z'),
    crossed: [{ rate: 'hard_bounce', count: 3, sample: 10, value: 0.3, threshold: 0.2 }],
  });
  const parsed = LogEntryInput.parse(entry);
  assert.equal(parsed.stepId, 'campaign_paused_by_monitor');
  assert.equal(parsed.result, 'actor=monitor window=1m hard_bounce=3/10(0.3000>0.2)');
});

test('subject requests alert within two days of their deadline and again once overdue, not before', async () => {
  const { createOperationsActivities } = await import('../../activities/operations.js');
  const raised: { key: string; text: string }[] = [];
  const now = Date.parse('2026-03-10T12:00:00.000Z');
  const day = 86_400_000;
  const acts = createOperationsActivities({
    probeLog: async () => undefined,
    openSubjectRequests: async () => [
      { requestId: 'far', deadlineMs: now + 5 * day },
      { requestId: 'soon', deadlineMs: now + day },
      { requestId: 'late', deadlineMs: now - 1 },
    ],
    raiseAlert: async (a) => (raised.push({ key: a.key, text: a.text }), 'raised'),
  });
  assert.deepEqual(await acts.checkSubjectRequestDeadlines({ now: new Date(now).toISOString() }), {
    dueSoon: 1,
    overdue: 1,
  });
  assert.deepEqual(
    raised.map((r) => r.key),
    ['dsr_deadline:soon:due_soon', 'dsr_deadline:late:overdue'],
  );
  const failing = createOperationsActivities({
    probeLog: () => Promise.reject(new Error('MISCONF')),
    openSubjectRequests: async () => [],
    raiseAlert: async () => 'raised',
  });
  assert.deepEqual(await failing.probeDecisionLog(), { ok: false, reason: 'MISCONF' });
});
