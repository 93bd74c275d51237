import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LogKind, OUTCOMES_BY_KIND } from '../../../domain/decision-log.js';
import { unchainedEntry, type CheckedEntryInput } from '../../../domain/decision-log-stamp.js';
import { bucketOf, type AllowFacts } from '../../../domain/monitor-counters.js';
import { countEntry, emptyCounts } from '../../../domain/monitor-window.js';
import { redisKeys } from '../../../infra/redis/keys.js';
import { runCounterArgs, RUN_COUNTER_TTL_S, type TimedEntry } from '../../../infra/redis/run-counters.js';

const keys = redisKeys('t:');
const COUNTED = ['decisions', 'denies', 'deliveries', 'hardBounces', 'failures', 'complaints'] as const;

// What each entry adds on its own, the plain way (countEntry per entry, its allow facts serialised per entry), summed
// per counter hash and field.
function reference(partition: number, entries: readonly TimedEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  const add = (key: string, field: string, n: number) =>
    out.set(`${key} ${field}`, (out.get(`${key} ${field}`) ?? 0) + n);
  for (const { entry: e, atMs } of entries) {
    if (!e.runId) continue;
    const key = keys.logRunCounts(partition, e.runId, bucketOf(atMs));
    const c = countEntry(emptyCounts, e);
    for (const k of COUNTED) if (c[k] > 0) add(key, k, c[k]);
    if (e.kind === 'decision' && e.outcome === 'allow') {
      const facts: AllowFacts = {
        policyVersion: e.policyVersion,
        purpose: e.purpose,
        channel: e.channel,
        processor: e.processor,
        noticeVersion: e.noticeVersion,
        fieldsReleased: [...e.fieldsReleased].sort(),
      };
      add(key, `allow|${JSON.stringify(facts)}`, 1);
    }
  }
  return out;
}

function triples(args: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  if (args.length === 0) return out;
  assert.equal(args.at(-1), String(RUN_COUNTER_TTL_S));
  assert.equal((args.length - 1) % 3, 0);
  for (let i = 0; i + 2 < args.length; i += 3) {
    const k = `${args[i]} ${args[i + 1]}`;
    assert.ok(!out.has(k), `field ${k} is given twice`);
    out.set(k, Number(args[i + 2]));
  }
  return out;
}

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
// Few kinds and outcomes, so entries that differ only in reasons or result often share a run and bucket.
const kindOutcome = fc.oneof(
  ...Object.values(LogKind).map((kind) => pick(OUTCOMES_BY_KIND[kind]).map((outcome) => ({ kind, outcome }))),
);
const entry = fc.record({
  ko: kindOutcome,
  result: pick([undefined, 'redecided_at_reservation', 'sent_ok']),
  reasons: fc.subarray(['hard_bounce', 'consent_withdrawn', 'suppressed']),
  runId: pick([undefined, 'run-a', 'run-b']),
  policyVersion: pick(['pv-1', 'pv-2', undefined]),
  purpose: pick(['marketing.email', undefined]),
  channel: pick(['email', 'sms']),
  processor: pick(['smtp-relay', undefined]),
  noticeVersion: pick(['3', '4']),
  fieldsReleased: fc.shuffledSubarray(['email', 'firstName', 'zip']),
  atMs: fc.integer({ min: 1_700_000_005_000, max: 1_700_000_015_000 }),
});

test('the counters an append adds equal the sum of what each entry adds on its own, allow facts by value', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          entry,
          entry.map((x) => ({ ...x, ko: { kind: 'decision' as const, outcome: 'allow' as const } })),
        ),
        { maxLength: 60 },
      ),
      fc.nat(15),
      (xs, partition) => {
        const entries: TimedEntry[] = xs.map(({ atMs, ko, ...x }) => ({
          atMs,
          entry: unchainedEntry(
            { ...x, ...ko, subjectRef: 'sr_AAAAAAAAAAAAAAAAAAAAAA' } as CheckedEntryInput,
            '01J00000000000000000000000',
            new Date(atMs).toISOString(),
            partition,
          ),
        }));
        assert.deepEqual(triples(runCounterArgs(keys, partition, entries)), reference(partition, entries));
      },
    ),
    { numRuns: 300 },
  );
});

test('allows whose released fields differ only in order count under one field', () => {
  const at = 1_700_000_000_000;
  const allow = (fieldsReleased: string[]): TimedEntry => ({
    atMs: at,
    entry: unchainedEntry(
      {
        subjectRef: 'sr_AAAAAAAAAAAAAAAAAAAAAA',
        kind: 'decision',
        outcome: 'allow',
        runId: 'run-a',
        fieldsReleased,
      } as CheckedEntryInput,
      '01J00000000000000000000000',
      new Date(at).toISOString(),
      0,
    ),
  });
  const args = runCounterArgs(keys, 0, [allow(['zip', 'email']), allow(['email', 'zip']), allow(['email'])]);
  const allows = [...triples(args)].filter(([k]) => k.includes(' allow|'));
  assert.deepEqual(
    allows.map(([k, n]) => [JSON.parse(k.slice(k.indexOf('|') + 1)).fieldsReleased, n]),
    [
      [['email', 'zip'], 2],
      [['email'], 1],
    ],
  );
});

test('entries of one run and bucket that differ only in reasons or result count apart', () => {
  const at = 1_700_000_000_000;
  const timed = (x: Partial<CheckedEntryInput>): TimedEntry => ({
    atMs: at,
    entry: unchainedEntry(
      { subjectRef: 'sr_AAAAAAAAAAAAAAAAAAAAAA', runId: 'run-a', ...x } as CheckedEntryInput,
      '01J00000000000000000000000',
      new Date(at).toISOString(),
      0,
    ),
  });
  const entries = [
    timed({ kind: 'delivery', outcome: 'failed', reasons: ['hard_bounce'] }),
    timed({ kind: 'delivery', outcome: 'failed', reasons: ['soft_bounce'] }),
    timed({ kind: 'delivery', outcome: 'failed', reasons: ['hard_bounce'] }),
    timed({ kind: 'decision', outcome: 'deny' }),
    timed({ kind: 'decision', outcome: 'deny', result: 'redecided_at_reservation' }),
  ];
  const key = keys.logRunCounts(0, 'run-a', bucketOf(at));
  assert.deepEqual(
    triples(runCounterArgs(keys, 0, entries)),
    new Map([
      [`${key} decisions`, 1],
      [`${key} denies`, 2],
      [`${key} deliveries`, 3],
      [`${key} hardBounces`, 2],
      [`${key} failures`, 3],
    ]),
  );
});
