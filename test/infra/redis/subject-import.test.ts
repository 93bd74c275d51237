import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { importSubjects, SubjectImportFileError } from '../../../infra/redis/subject-import.js';
import { subjectFields } from '../../../policy/subject-fields.js';
import { consentEvent, testStores } from '../../helpers/consent-fixtures.js';
import { uniqueId } from '../../helpers/services.js';

const { redis, keys, subjects, consent } = testStores();
const dir = mkdtempSync(join(tmpdir(), 'cf-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const run = (p: string, strict = false) =>
  importSubjects({ file: p, store: subjects, fields: subjectFields, strict, batchSize: 3 });

test('imports valid JSONL rows and reports bad rows by line number, field and problem', async () => {
  const [a, b, c] = [uniqueId('a'), uniqueId('b'), uniqueId('c')];
  const p = file(
    'mixed.jsonl',
    [
      JSON.stringify({ id: a, email: `${a}@example.com`, first_name: 'Ann', birth_year: 1990 }),
      JSON.stringify({ id: b, email: 'not-an-email' }),
      '',
      '{broken',
      JSON.stringify({ email: 'x@example.com' }),
      JSON.stringify({ id: c, phone: '+4930123456', shoe_size: '44' }),
      JSON.stringify({ id: c, phone: '+4930123456', loyalty_tier: 'gold' }),
    ].join('\n'),
  );
  const r = await run(p);
  assert.equal(r.rows, 6);
  assert.equal(r.invalidRows, 4);
  assert.equal(r.imported, 2);
  assert.deepEqual(
    r.problems.map((x) => [x.line, x.field]),
    [
      [2, 'email'],
      [4, '(row)'],
      [5, 'id'],
      [6, 'shoe_size'],
    ],
  );
  assert.match(r.problems[3]!.problem, /unknown column/);
  assert.ok(!JSON.stringify(r).includes('not-an-email'), 'problems never echo values');
  assert.deepEqual(await subjects.readFields(subjects.refOf(a), ['first_name', 'birth_year']), {
    status: 'found',
    fields: { first_name: 'Ann', birth_year: '1990' },
  });
  assert.deepEqual(await subjects.readFields(subjects.refOf(c), ['loyalty_tier']), {
    status: 'found',
    fields: { loyalty_tier: 'gold' },
  });
  assert.equal(await redis.exists(keys.profile(subjects.refOf(b))), 0);
});

test('imports CSV with a header; empty cells are absent, wrong column counts are reported', async () => {
  const [a, b] = [uniqueId('a'), uniqueId('b')];
  const p = file(
    'people.csv',
    `id,email,city,country\n${a},${a}@example.com,,DE\n${b},${b}@example.com,Paris\n"${b}x",,Lyon,france\n`,
  );
  const r = await run(p);
  assert.equal(r.imported, 1);
  assert.deepEqual(
    r.problems.map((x) => [x.line, x.field]),
    [
      [3, '(row)'],
      [4, 'country'],
    ],
  );
  assert.deepEqual(await subjects.readFields(subjects.refOf(a), ['city', 'country']), {
    status: 'found',
    fields: { country: 'DE' },
  });
});

test('CSV with an unknown header column rejects every row naming the column', async () => {
  const r = await run(file('unknown.csv', `id,favourite_colour\n${uniqueId('a')},blue\n`));
  assert.equal(r.imported, 0);
  assert.deepEqual(
    r.problems.map((x) => [x.line, x.field]),
    [[2, 'favourite_colour']],
  );
});

test('--strict imports nothing when any row is bad, and everything when all are good', async () => {
  const good = uniqueId('g');
  const bad = file(
    'strict-bad.jsonl',
    `${JSON.stringify({ id: good, first_name: 'G' })}\n${JSON.stringify({ id: uniqueId('x'), gender: 'unknown' })}\n`,
  );
  const r = await run(bad, true);
  assert.equal(r.written, false);
  assert.equal(r.imported, 0);
  assert.deepEqual(
    r.problems.map((x) => [x.line, x.field]),
    [[2, 'gender']],
  );
  assert.equal(await redis.exists(keys.profile(subjects.refOf(good))), 0);
  const ok = await run(file('strict-ok.jsonl', `${JSON.stringify({ id: good, first_name: 'G' })}\n`), true);
  assert.deepEqual([ok.written, ok.rows, ok.imported], [true, 1, 1]);
});

test('re-importing an erased subject is refused by line, and strict mode then imports nothing', async () => {
  const id = uniqueId('gone');
  const other = uniqueId('other');
  const { ref } = await subjects.upsert(id, { email: `${id}@example.com` });
  await subjects.erase(ref, 'dsar');
  const p = file(
    'erased.jsonl',
    `${JSON.stringify({ id: other, first_name: 'O' })}\n${JSON.stringify({ id, email: `${id}@example.com` })}\n`,
  );
  const strict = await run(p, true);
  assert.deepEqual([strict.written, strict.imported, strict.refused.map((x) => x.line)], [false, 0, [2]]);
  const r = await run(p);
  assert.deepEqual(r.refused, [{ line: 2, subjectRef: ref, reason: 'erased_without_new_consent' }]);
  assert.equal(r.imported, 1);
  assert.equal(await subjects.isErased(ref), true);
  await consent.append(consentEvent(ref, { occurredAt: new Date(Date.now() + 1000).toISOString() }));
  assert.equal((await run(p)).imported, 2);
});

test('unsupported or missing files are typed errors', async () => {
  await assert.rejects(run(file('x.txt', 'id\n')), SubjectImportFileError);
  await assert.rejects(run(join(dir, 'missing.csv')), SubjectImportFileError);
});

test('streams a larger file in batches and reports progress up to the file size', async () => {
  const n = 2000;
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ id: `bulk-${i}-${uniqueId()}`, first_name: `N${i}`, email: `b${i}-${uniqueId()}@example.com` }),
  );
  const p = file('bulk.jsonl', lines.join('\n'));
  let last = 0;
  let total = 0;
  const r = await importSubjects({
    file: p,
    store: subjects,
    fields: subjectFields,
    batchSize: 500,
    onProgress: (d, t) => ((last = d), (total = t)),
  });
  assert.equal(r.imported, n);
  assert.equal(last, total);
});

test('a second row with the same id is reported by line and not imported; --strict refuses the whole file', async () => {
  const [a, b] = [uniqueId('dup'), uniqueId('dup')];
  const p = file('dupes.csv', `id,first_name\n${a},First\n${b},Other\n${a},Second\n`);
  const r = await run(p);
  assert.deepEqual([r.rows, r.imported, r.invalidRows], [3, 2, 1]);
  assert.deepEqual(r.problems, [
    { line: 4, field: 'id', problem: 'same id as line 2; keep one row per subject (this row was not imported)' },
  ]);
  assert.deepEqual(await subjects.readFields(subjects.refOf(a), ['first_name']), {
    status: 'found',
    fields: { first_name: 'First' },
  });
  const c = uniqueId('dup');
  const strict = await run(
    file(
      'dupes-strict.jsonl',
      `${JSON.stringify({ id: c, first_name: 'A' })}\n${JSON.stringify({ id: c, first_name: 'B' })}\n`,
    ),
    true,
  );
  assert.deepEqual(
    [strict.written, strict.imported, strict.problems[0]?.line, strict.problems[0]?.field],
    [false, 0, 2, 'id'],
  );
  assert.deepEqual(await subjects.readFields(subjects.refOf(c), ['first_name']), { status: 'not_found' });
});

test('values outside the declared range and line breaks in single-line fields are refused, naming the field', async () => {
  const [a, b, c] = [uniqueId('rng'), uniqueId('crlf'), uniqueId('ok')];
  const p = file(
    'ranges.jsonl',
    [
      JSON.stringify({ id: a, birth_year: 99999 }),
      JSON.stringify({ id: b, first_name: 'Ann\r\nBcc: victim@example.org' }),
      JSON.stringify({ id: c, birth_year: '1984', first_name: 'Zoë' }),
    ].join('\n'),
  );
  const r = await run(p);
  assert.deepEqual(
    r.problems.map((x) => [x.line, x.field, x.problem]),
    [
      [1, 'birth_year', 'must be at most 2100'],
      [2, 'first_name', 'must be a single line without control characters (no line breaks or tabs)'],
    ],
  );
  assert.equal(r.imported, 1);
  const csv = await run(file('crlf.csv', `id,city\n${uniqueId('q')},"Graz\nBcc: x"\n`));
  assert.deepEqual(
    csv.problems.map((x) => [x.line, x.field]),
    [[3, 'city']],
  );
});
