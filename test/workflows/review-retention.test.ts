import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ulid } from 'ulid';
import type { SubjectRef } from '../../domain/ids.js';
import type { ReportSummary } from '../../domain/review-report.js';
import { readReport, reportsDirOf } from '../../infra/reports/report-store.js';
import { policy } from '../../policy/index.js';
import { consentEvent, useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const base = process.env.CF_TEST_DATA_DIR ?? '.data/test';
const engine = useEngine({ env: { CONSENTFLOW_DATA_DIR: join(base, uniqueId('review-ret')) } });
const DAY = 86_400_000;
const r = policy.retention;

const review = async (since: Date): Promise<ReportSummary> =>
  (await engine.client.workflow.execute('review', {
    taskQueue: engine.taskQueue,
    workflowId: uniqueId('review'),
    args: [{ v: 1, since: since.toISOString(), until: new Date(Date.now() + 1000).toISOString(), baselineDays: 0 }],
  })) as ReportSummary;

function oldBundle(daysOld: number): Date {
  const dir = join(engine.config.dataDir, 'dsar');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${uniqueId('b')}.json`);
  writeFileSync(file, '{}');
  const t = new Date(Date.now() - daysOld * DAY);
  utimesSync(file, t, t);
  return t;
}

test('the review reports what retention removed per class in the period, and fails on data held past retention', async () => {
  const since = new Date();
  const bundleTime = oldBundle(r.accessBundlesDays + 10);
  const ref = (await engine.seed(uniqueId('rr'), { email: `${uniqueId('rr')}@example.org` }, [])) as SubjectRef;
  const ago = (d: number) => new Date(Date.now() - d * DAY);
  for (const [type, d] of [
    ['granted', r.consentEventsDays + 300],
    ['withdrawn', r.consentEventsDays + 200],
    ['granted', 5],
  ] as const) {
    await engine.services.consent.append({
      ...consentEvent(ref, { purpose: 'marketing.email.newsletter', type }),
      id: ulid(ago(d).getTime()),
      occurredAt: ago(d).toISOString(),
    });
  }
  await engine.client.workflow.execute('retention', {
    taskQueue: engine.taskQueue,
    workflowId: uniqueId('retention'),
    args: [{ v: 1 }],
  });

  const clean = (await readReport(reportsDirOf(engine.config), (await review(since)).id))!;
  const byClass = Object.fromEntries(clean.retention!.classes.map((c) => [c.cls, c]));
  assert.deepEqual(
    [
      byClass.access_bundle!.actions,
      byClass.access_bundle!.removed,
      byClass.access_bundle!.oldestRemoved?.slice(0, 10),
    ],
    [1, 1, bundleTime.toISOString().slice(0, 10)],
  );
  assert.deepEqual(
    [
      byClass.consent_events!.actions,
      byClass.consent_events!.removed,
      byClass.consent_events!.oldestRemoved?.slice(0, 10),
    ],
    [
      1,
      1,
      ago(r.consentEventsDays + 300)
        .toISOString()
        .slice(0, 10),
    ],
  );
  assert.equal(byClass.log_segment!.removed, 0);
  assert.deepEqual(clean.retention!.violations, []);
  assert.ok(!clean.failures.includes('retention_overdue'));

  // The schedule stopped: a bundle past retention and its grace sits there until the next review sees it.
  const stuck = oldBundle(r.accessBundlesDays + 5);
  const summary = await review(since);
  assert.equal(summary.status, 'fail');
  const failed = (await readReport(reportsDirOf(engine.config), summary.id))!;
  assert.ok(failed.failures.includes('retention_overdue'));
  assert.deepEqual(failed.retention!.violations, ['access_bundle']);
  const overdue = failed.retention!.classes.find((c) => c.cls === 'access_bundle')!;
  assert.deepEqual([overdue.overdue, overdue.oldestOverdue?.slice(0, 10)], [1, stuck.toISOString().slice(0, 10)]);
  const html = readFileSync(summary.htmlPath, 'utf8');
  assert.match(html, /<h2>Retention<\/h2><p class="bad">Data held past retention: access_bundle<\/p>/);
});
