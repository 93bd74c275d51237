import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createPseudonymizer } from '../../../infra/crypto/pseudonym.js';
import { importConsents } from '../../../infra/redis/consent-import.js';
import { policy } from '../../../policy/index.js';
import { testStores } from '../../helpers/consent-fixtures.js';
import { uniqueId } from '../../helpers/services.js';

const { consent, pseudonymKey } = testStores();
const pseudonymize = createPseudonymizer(pseudonymKey);
const dir = mkdtempSync(join(tmpdir(), 'cf-consent-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const now = new Date('2025-07-01T12:00:00Z');
const header =
  'subject_id,type,purpose,channel,occurred_at,notice_version,language,collection_point,method,jurisdiction';
const row = (id: string, type: string, at: string, notice = '') =>
  `${id},${type},marketing.email.newsletter,email,${at},${notice},en,crm-2019,form,EU`;
const file = (name: string, lines: string[]) => {
  const p = join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
};
const run = (p: string, strict = false) => importConsents({ file: p, consent, pseudonymize, policy, strict, now });

test('migrated consents keep their real time and evidence, and the latest answer decides the state', async () => {
  const a = uniqueId('mig');
  const r = await run(
    file('ok.csv', [header, row(a, 'granted', '2024-03-01T09:00:00Z'), row(a, 'withdrawn', '2025-02-01T09:00:00Z')]),
  );
  assert.deepEqual([r.rows, r.imported, r.problems], [2, 2, []]);
  const events = await consent.events(pseudonymize(a));
  assert.deepEqual(
    events.map((e) => [e.type, e.occurredAt, e.noticeVersion, e.collectionPoint, e.method]),
    [
      ['granted', '2024-03-01T09:00:00.000Z', 1, 'crm-2019', 'form'],
      ['withdrawn', '2025-02-01T09:00:00.000Z', 2, 'crm-2019', 'form'],
    ],
  );
  assert.equal((await consent.projection(pseudonymize(a)))['marketing.email.newsletter|email']?.type, 'withdrawn');
});

test('an older answer after a newer one is refused by line, so a migrated grant never overrides a later withdrawal', async () => {
  const a = uniqueId('mig');
  await run(file('first.csv', [header, row(a, 'withdrawn', '2025-02-01T09:00:00Z')]));
  const r = await run(file('late.csv', [header, row(a, 'granted', '2024-03-01T09:00:00Z')]));
  assert.equal(r.imported, 0);
  assert.deepEqual(
    r.problems.map((p) => [p.line, p.field]),
    [[2, 'occurred_at']],
  );
  assert.match(r.problems[0]!.problem, /older than this subject's answer at 2025-02-01T09:00:00.000Z/);
  assert.equal((await consent.projection(pseudonymize(a)))['marketing.email.newsletter|email']?.type, 'withdrawn');
});

test('future times, times before the cited notice and unknown columns are refused; --strict then writes nothing', async () => {
  const [a, b, c] = [uniqueId('mig'), uniqueId('mig'), uniqueId('mig')];
  const p = file('bad.csv', [
    header,
    row(a, 'granted', '2026-01-01T00:00:00Z'),
    row(b, 'granted', '2024-02-01T00:00:00Z', '3'),
    row(c, 'granted', '2024-03-01T00:00:00Z'),
  ]);
  const strict = await run(p, true);
  assert.equal(strict.written, false);
  assert.deepEqual(
    strict.problems.map((x) => [x.line, x.field]),
    [
      [2, 'occurred_at'],
      [3, 'occurred_at'],
    ],
  );
  assert.deepEqual(await consent.events(pseudonymize(c)), [], 'strict wrote nothing');
  const loose = await run(p);
  assert.deepEqual([loose.imported, loose.problems.length], [1, 2]);
  const extra = await run(file('extra.jsonl', [JSON.stringify({ subject_id: c, shoe: 1 })]));
  assert.ok(extra.problems.some((x) => x.field === 'shoe' && /unknown column/.test(x.problem)));
});

test('the README sample examples/consents.csv imports clean under --strict: one grant in force, one withdrawn', async () => {
  const r = await run(join(import.meta.dirname, '..', '..', '..', 'examples', 'consents.csv'), true);
  assert.deepEqual([r.rows, r.imported, r.problems], [3, 3, []]);
  assert.equal((await consent.projection(pseudonymize('cust-1')))['marketing.email.newsletter|email']?.type, 'granted');
  assert.equal(
    (await consent.projection(pseudonymize('cust-2')))['marketing.email.newsletter|email']?.type,
    'withdrawn',
  );
});

test("a given_by column records a guardian's consent per row; a bad value names the line, the column and the fix, and --strict imports nothing", async () => {
  const [minor, adult, bad] = [uniqueId('mig'), uniqueId('mig'), uniqueId('mig')];
  const head = `${header},given_by`;
  const p = file('given-by.csv', [
    head,
    `${row(minor, 'granted', '2025-03-01T09:00:00Z')},guardian`,
    `${row(adult, 'granted', '2025-03-01T09:00:00Z')},`,
    `${row(bad, 'granted', '2025-03-01T09:00:00Z')},parent`,
  ]);
  const strict = await run(p, true);
  assert.equal(strict.written, false);
  assert.deepEqual(
    strict.problems.map((x) => [x.line, x.field]),
    [[4, 'given_by']],
  );
  assert.match(strict.problems[0]!.problem, /must be subject or guardian/);
  assert.deepEqual(await consent.events(pseudonymize(minor)), [], 'strict wrote nothing');
  const loose = await run(p);
  assert.deepEqual([loose.imported, loose.invalidRows], [2, 1]);
  assert.equal((await consent.events(pseudonymize(minor)))[0]?.givenBy, 'guardian');
  assert.equal((await consent.events(pseudonymize(adult)))[0]?.givenBy, undefined, 'an empty given_by is the subject');
  assert.deepEqual(await consent.events(pseudonymize(bad)), [], 'the refused row left nothing behind');
});
