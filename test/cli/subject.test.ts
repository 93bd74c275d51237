import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { registerSubjectCommands } from '../../cli/subject.js';
import { subjectStores } from '../../cli/subject-stores.js';
import type { SubjectImportReport } from '../../infra/redis/subject-import.js';
import { runCli, testCliContext } from '../helpers/cli-harness.js';
import { testRedis, uniqueId } from '../helpers/services.js';

const { redis, prefix } = testRedis();
const ctx = testCliContext(redis, prefix);
const cli = (...args: string[]) => runCli(ctx, [registerSubjectCommands], args);
const dir = mkdtempSync(join(tmpdir(), 'cf-cli-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('subject import reports bad rows by line and imports the rest (exit 1 when any row is bad)', async () => {
  const [a, b] = [uniqueId('a'), uniqueId('b')];
  const p = join(dir, 'people.csv');
  writeFileSync(p, `id,email,loyalty_tier\n${a},${a}@example.com,gold\n${b},nope,gold\n`);
  const r = await cli('subject', 'import', p);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /imported 1 of 2 rows \(1 invalid, 0 refused\)\n {2}line 3: email: /);
  const { subjects } = await subjectStores(ctx);
  assert.deepEqual(await subjects.readFields(subjects.refOf(a), ['loyalty_tier']), {
    status: 'found',
    fields: { loyalty_tier: 'gold' },
  });
});

test('subject import --strict --json imports nothing when a row is bad', async () => {
  const a = uniqueId('a');
  const p = join(dir, 'strict.jsonl');
  writeFileSync(
    p,
    `${JSON.stringify({ id: a, first_name: 'A' })}\n${JSON.stringify({ id: uniqueId('b'), birth_year: 'old' })}\n`,
  );
  const r = await cli('subject', 'import', p, '--strict', '--json');
  const report = JSON.parse(r.stdout) as SubjectImportReport;
  assert.deepEqual(
    [report.written, report.imported, report.problems[0]?.line, report.problems[0]?.field],
    [false, 0, 2, 'birth_year'],
  );
  const { subjects } = await subjectStores(ctx);
  assert.deepEqual(await subjects.readFields(subjects.refOf(a), ['first_name']), { status: 'not_found' });
});

test('subject import rejects unsupported files and bad options as usage errors', async () => {
  const txt = join(dir, 'people.txt');
  writeFileSync(txt, 'id\n');
  assert.match((await cli('subject', 'import', txt)).stderr, /unsupported file type "\.txt"; use \.jsonl .* or \.csv/);
  assert.match((await cli('subject', 'import', join(dir, 'missing.csv'))).stderr, /file not found/);
  assert.equal((await cli('subject', 'import', txt, '--batch', '0')).code, 2);
  assert.equal((await cli('subject', 'import')).code, 2);
});

test('the README sample examples/people.csv imports clean under --strict', async () => {
  const r = await cli('subject', 'import', '--strict', join(import.meta.dirname, '..', '..', 'examples', 'people.csv'));
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /imported 3 of 3 rows \(0 invalid, 0 refused\)/);
  const { subjects } = await subjectStores(ctx);
  assert.deepEqual(await subjects.readFields(subjects.refOf('cust-2'), ['first_name', 'last_name']), {
    status: 'found',
    fields: { first_name: 'Ben' },
  });
});
