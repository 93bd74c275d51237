import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LOG_COLUMNS, LogEntry, LogEntryInput, V2_COLUMNS } from '../../domain/decision-log.js';
import {
  CSV_HEADER,
  HASHED_COLUMNS,
  canonicalEntry,
  chainPosition,
  csvLine,
  decodeEntry,
  partitionOf,
  type UnhashedEntry,
} from '../../domain/decision-log-canonical.js';

const ref = 'sr_AAAAAAAAAAAAAAAAAAAAAA';
const stored = (over: Partial<UnhashedEntry> = {}): UnhashedEntry => ({
  ...LogEntryInput.parse({ subjectRef: ref, kind: 'decision', outcome: 'deny', reasons: ['consent_missing'] }),
  id: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
  at: '2025-01-02T03:04:05.006Z',
  seq: 1,
  partition: 0,
  prevHash: '0'.repeat(64),
  ...over,
});

test('an input gets null and empty-list defaults so every entry has the same shape', () => {
  const e = LogEntryInput.parse({ subjectRef: ref, kind: 'decision', outcome: 'allow' });
  assert.equal(e.campaignId, null);
  assert.deepEqual(e.fieldsWithheld, []);
});

test('rejects a delivery with an allow outcome or without its decision id', () => {
  const r = LogEntryInput.safeParse({ subjectRef: ref, kind: 'delivery', outcome: 'allow' });
  assert.equal(r.success, false);
  assert.deepEqual(r.error?.issues.map((i) => i.path.join('.')).sort(), ['decisionId', 'outcome']);
});

test('rejects a raw email where a subjectRef belongs', () => {
  assert.equal(
    LogEntryInput.safeParse({ subjectRef: 'alice@example.com', kind: 'decision', outcome: 'allow' }).success,
    false,
  );
});

test('rejects reason codes that are not snake_case and unknown keys', () => {
  assert.equal(
    LogEntryInput.safeParse({ subjectRef: ref, kind: 'decision', outcome: 'deny', reasons: ['Consent Missing'] })
      .success,
    false,
  );
  assert.equal(
    LogEntryInput.safeParse({ subjectRef: ref, kind: 'decision', outcome: 'deny', email: 'a@b.c' }).success,
    false,
  );
});

test('the canonical form round-trips through decode and is independent of key order', () => {
  const e = stored({ campaignId: 'c1', smtpCode: null });
  const reversed = Object.fromEntries(Object.entries(e).reverse()) as UnhashedEntry;
  assert.equal(canonicalEntry(reversed), canonicalEntry(e));
  const d = decodeEntry(canonicalEntry(e), 'a'.repeat(64));
  assert.ok(d.ok);
  assert.deepEqual(LogEntry.parse(d.entry), { ...e, hash: 'a'.repeat(64) });
  assert.deepEqual(chainPosition(canonicalEntry(e)), { seq: 1, partition: 0, prevHash: '0'.repeat(64) });
});

test('the canonical form holds every hashed column in HASHED_COLUMNS order, whatever the values', () => {
  // One distinct value per column, in any key order: a column left out, doubled or moved shows as a different text.
  const value = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
  fc.assert(
    fc.property(fc.array(value, { minLength: HASHED_COLUMNS.length, maxLength: HASHED_COLUMNS.length }), (vs) => {
      const pairs = HASHED_COLUMNS.map((c, i) => [c, vs[i]] as const);
      const e = Object.fromEntries(pairs.reverse()) as unknown as UnhashedEntry;
      assert.equal(canonicalEntry(e), JSON.stringify(['v2', ...HASHED_COLUMNS.map((c, i) => vs[i])]));
    }),
  );
  const tagged = Object.fromEntries(HASHED_COLUMNS.map((c) => [c, c])) as unknown as UnhashedEntry;
  assert.deepEqual(JSON.parse(canonicalEntry(tagged)), ['v2', ...LOG_COLUMNS.filter((c) => c !== 'hash')]);
});

test('a v1 entry, written before the transfer columns, still decodes (they read as null) and gives its chain position', () => {
  const e = stored({ campaignId: 'c1', jurisdiction: 'CN', transferTo: 'EU' });
  const v2: unknown[] = JSON.parse(canonicalEntry(e));
  assert.equal(v2[0], 'v2');
  const dropped = new Set(V2_COLUMNS.map((c) => LOG_COLUMNS.filter((x) => x !== 'hash').indexOf(c) + 1));
  const v1 = JSON.stringify(['v1', ...v2.slice(1).filter((_, i) => !dropped.has(i + 1))]);
  const d = decodeEntry(v1, 'a'.repeat(64));
  assert.ok(d.ok, d.ok ? '' : d.message);
  assert.equal(d.entry.campaignId, 'c1');
  for (const c of V2_COLUMNS) assert.equal(d.entry[c], null, c);
  assert.deepEqual(chainPosition(v1), { seq: 1, partition: 0, prevHash: '0'.repeat(64) });
  // A v2-length array under the v1 tag (or the reverse) is no entry of either version.
  assert.equal(decodeEntry(JSON.stringify(['v1', ...v2.slice(1)]), 'a'.repeat(64)).ok, false);
  assert.equal(decodeEntry(v1.replace('"v1"', '"v2"'), 'a'.repeat(64)).ok, false);
});

test('decode reports text that is not a canonical entry as a value, not an exception', () => {
  assert.deepEqual(decodeEntry('{', 'x'), { ok: false, code: 'not_json', message: 'stored entry is not JSON' });
  assert.equal(decodeEntry('["v0"]', 'x').ok, false);
  assert.equal(chainPosition('nope'), null);
});

test('partitionOf is stable and within range for any subjectRef', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 22, maxLength: 22 }), fc.integer({ min: 1, max: 1024 }), (s, n) => {
      const p = partitionOf(`sr_${s}`, n);
      return p >= 0 && p < n && p === partitionOf(`sr_${s}`, n);
    }),
  );
});

test('CSV lines follow the stable header and quote commas and quotes', () => {
  assert.equal(CSV_HEADER.split(',').length, LOG_COLUMNS.length);
  assert.ok(CSV_HEADER.startsWith('id,at,seq,partition,kind,subjectRef'));
  const line = csvLine({ ...stored({ campaignId: 'a,"b"', reasons: ['x', 'y'] }), hash: 'a'.repeat(64) });
  assert.ok(line.includes('"a,""b"""'));
  assert.ok(line.includes(',x;y,'));
});
