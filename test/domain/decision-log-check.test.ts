import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LogEntryInput, LogKind, LogOutcome, OUTCOMES_BY_KIND } from '../../domain/decision-log.js';
import { isValidEntryInput } from '../../domain/decision-log-check.js';
import { unchainedEntry } from '../../domain/decision-log-stamp.js';

// Values around every rule of the schema: valid ones, boundaries either side, wrong types, absent and null.
const oddValues = [undefined, null, '', 0, 1.5, true, [], {}, Number.NaN];
const okTexts = ['x', 'spring-sale', 'x'.repeat(256), '\u{1F600}'.repeat(128), 'a,"b"\n\u2028'];
const texts = ['x', 'spring-sale', 'x'.repeat(256), 'x'.repeat(257), '\u{1F600}'.repeat(128), '\u{1F600}'.repeat(129)];
const okCodes = ['consent_withdrawn', 'a', 'a'.repeat(64), 'x9_'];
const codes = ['consent_withdrawn', 'a', 'a'.repeat(64), 'a'.repeat(65), 'Consent', '_x', 'a-b', '9a', 'a b'];
const okFieldNames = ['email', 'address.city', 'a_1', 'a'.repeat(128)];
const fieldNames = ['email', 'address.city', 'a_1', 'a'.repeat(128), 'a'.repeat(129), '1a', '.a', 'e-mail', 'a b'];
const ulids = [
  '01HZZZZZZZZZZZZZZZZZZZZZZZ',
  '01hzzzzzzzzzzzzzzzzzzzzzzz',
  '01HZZZZZZZZZZZZZZZZZZZZZZ',
  '01HZZZZZZZZZZZZZZZZZZZZZZI',
];
const times = [
  '2025-01-02T03:04:05.006Z',
  '2024-02-29T23:59:59.999Z',
  '2025-02-29T00:00:00.000Z',
  '2025-01-02T03:04:05Z',
  '2025-01-02T03:04:05.0061Z',
  '2025-01-02T03:04:05.006+08:00',
  '2025-01-02T03:04:05.006z',
  '2025-01-02 03:04:05.006Z',
];
const offsetTimes = [...times, '2025-01-02T03:04:05+08:00', '2025-01-02T03:04:05-24:00', '2025-01-02T03:04+01:00'];
const refs = [
  'sr_AAAAAAAAAAAAAAAAAAAAAA',
  'sr_abc-_0123456789ABCDEFGH',
  'sr_AAAAAAAAAAAAAAAAAAAAA',
  'sr_AAAAAAAAAAAAAAAAAAAAA+',
  'alice@example.com',
];
const smtpCodes = [100, 250, 599, 99, 600, 250.5, Infinity, '250'];

// Mostly valid (or absent) values, so that a good share of whole inputs pass; sometimes anything else.
const valid = (xs: readonly unknown[]) => fc.constantFrom(undefined, null, ...xs);
const column = (ok: readonly unknown[], all: readonly unknown[]) =>
  fc.oneof({ weight: 14, arbitrary: valid(ok) }, { weight: 1, arbitrary: fc.constantFrom(...all, ...oddValues) });
const list = (ok: readonly string[], all: readonly string[], max: number) =>
  fc.oneof(
    { weight: 14, arbitrary: fc.array(fc.constantFrom(...ok), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...all), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constant(Array.from({ length: max }, () => ok[0]!)) },
    { weight: 1, arbitrary: fc.constant(Array.from({ length: max + 1 }, () => ok[0]!)) },
    { weight: 1, arbitrary: fc.constantFrom(...oddValues) },
  );
const pairs = Object.entries(OUTCOMES_BY_KIND).flatMap(([kind, outcomes]) =>
  outcomes.map((outcome) => ({ kind, outcome })),
);
const kindOutcome = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...pairs) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom(...Object.values(LogKind), 'Decision', undefined),
      outcome: fc.constantFrom(...Object.values(LogOutcome), 'ok', undefined),
    }),
  },
);
const KEY_ABSENT = Symbol('absent');

/** Inputs close to valid: each column absent, null, valid, at a boundary, or of the wrong type. */
const arbInput = fc
  .record({
    id: column(ulids.slice(0, 1), ulids),
    at: column(times.slice(0, 2), times),
    subjectRef: fc.oneof(
      { weight: 14, arbitrary: fc.constantFrom(...refs.slice(0, 2)) },
      { weight: 1, arbitrary: fc.constantFrom(...refs, ...oddValues) },
    ),
    ko: kindOutcome,
    campaignId: column(okTexts, texts),
    runId: column(okTexts, texts),
    purpose: column(okTexts, texts),
    decisionId: fc.oneof({ weight: 3, arbitrary: fc.constant(ulids[0]) }, { weight: 1, arbitrary: column([], ulids) }),
    result: column(okTexts, texts),
    smtpCode: column(smtpCodes.slice(0, 3), smtpCodes),
    messageId: column(okTexts, texts),
    transferMechanismKind: column(okCodes, codes),
    transferValidFrom: column([...times.slice(0, 2), offsetTimes[5], offsetTimes[8]], offsetTimes),
    transferValidUntil: column(times.slice(0, 1), offsetTimes),
    reasons: list(okCodes, codes, 64),
    fieldsReleased: list(okFieldNames, fieldNames, 256),
    fieldsWithheld: list(okFieldNames, fieldNames, 256),
    extra: fc.constantFrom(KEY_ABSENT, KEY_ABSENT, KEY_ABSENT, 'a@b.c'),
  })
  .map(({ extra, ko, ...cols }) => {
    // Leave some columns out altogether rather than present with undefined, as callers do.
    const o: Record<string, unknown> = Object.fromEntries(
      Object.entries({ ...ko, ...cols }).filter(([, v]) => v !== undefined),
    );
    if (extra !== KEY_ABSENT) o.email = extra;
    return o;
  });

const ID = '01J00000000000000000000000';
const AT = '2025-01-02T03:04:05.006Z';

// The schema counts a string's length in code points, the fast check in UTF-16 units (never fewer): a text column
// longer than its limit in units is left to the schema, which may still accept it.
const unitsOverTextLimit = (x: Record<string, unknown>) =>
  Object.values(x).some((v) => typeof v === 'string' && v.length > 256);

test('the fast entry check accepts only what LogEntryInput accepts, nearly all of it, and leads to the same entry', () => {
  let accepted = 0;
  let leftToSchema = 0;
  fc.assert(
    fc.property(arbInput, (x) => {
      const r = LogEntryInput.safeParse(x);
      const fast = isValidEntryInput(x);
      if (fast) assert.ok(r.success, `accepted what the schema refuses: ${JSON.stringify(r.error?.issues)}`);
      if (!r.success) return;
      if (!fast) {
        assert.ok(unitsOverTextLimit(x), `refused what the schema accepts: ${JSON.stringify(x)}`);
        leftToSchema++;
        return;
      }
      accepted++;
      assert.deepEqual(unchainedEntry(x, ID, AT, 3), unchainedEntry(r.data, ID, AT, 3));
    }),
    { numRuns: 20_000 },
  );
  // The generator must reach every side, or the agreement above says little.
  assert.ok(accepted > 500, `only ${accepted} valid inputs generated`);
  assert.ok(leftToSchema > 0, 'no astral text past the limit in units was generated');
});

test('the fast entry check refuses what is not an object and keys the schema does not know', () => {
  const ok = { subjectRef: refs[0], kind: 'decision', outcome: 'allow' };
  assert.equal(isValidEntryInput(ok), true);
  for (const x of [null, undefined, 'entry', 42, [ok]]) assert.equal(isValidEntryInput(x), false);
  assert.equal(isValidEntryInput({ ...ok, email: 'a@b.c' }), false);
  assert.equal(isValidEntryInput(Object.assign(Object.create({ inherited: 1 }) as object, ok)), false);
  assert.equal(isValidEntryInput({ ...ok, kind: 'delivery', outcome: 'sent' }), false);
  assert.equal(isValidEntryInput({ ...ok, kind: 'delivery', outcome: 'sent', decisionId: ulids[0] }), true);
});

test('the fast entry check looks at every column of the schema', () => {
  const ok = { subjectRef: refs[0], kind: 'decision', outcome: 'allow' };
  // An object is wrong for every column: a column the check skips would let it through.
  for (const c of Object.keys(LogEntryInput.shape)) {
    assert.equal(isValidEntryInput({ ...ok, [c]: {} }), false, c);
    assert.equal(LogEntryInput.safeParse({ ...ok, [c]: {} }).success, false, c);
  }
});

test('an entry built from a checked input gets the schema defaults and lists of its own', () => {
  const reasons = ['consent_withdrawn'];
  const x = { subjectRef: refs[0], kind: 'decision', outcome: 'deny', reasons } as const;
  assert.ok(isValidEntryInput(x));
  const e = unchainedEntry(x, ID, AT, 1);
  assert.deepEqual(e, unchainedEntry(LogEntryInput.parse(x), ID, AT, 1));
  assert.equal(e.campaignId, null);
  assert.deepEqual(e.fieldsReleased, []);
  assert.notEqual(e.reasons, reasons);
});
