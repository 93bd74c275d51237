import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ulid } from 'ulid';
import { registerReviewCommands } from '../../cli/review.js';
import type { ReportSummary } from '../../domain/review-report.js';
import { reviewScheduleId } from '../../infra/temporal/review-schedule.js';
import { runCli, testCliContext } from '../helpers/cli-harness.js';
import { eventually, useEngine } from '../helpers/engine.js';
import { testRedis, uniqueId } from '../helpers/services.js';

const engine = useEngine({
  env: { CONSENTFLOW_DATA_DIR: join(process.env.CF_TEST_DATA_DIR ?? '.data/test', uniqueId('review-cli')) },
});
const { redis, prefix } = testRedis();
const ctx = {
  ...testCliContext(redis, prefix),
  config: () => ({ ...engine.config, taskQueue: engine.taskQueue }),
  temporal: () => Promise.resolve(engine.client),
};
const review = (...args: string[]) => runCli(ctx, [registerReviewCommands], ['review', ...args]);
const scheduleId = () => reviewScheduleId(engine.taskQueue);

after(async () => {
  await engine.client.schedule
    .getHandle(scheduleId())
    .delete()
    .catch(() => undefined);
});

test('review run exits 0 on a clean period and 1 when an invariant fails, naming the report', async () => {
  const since = new Date().toISOString();
  const clean = await review('run', '--since', since, '--until', new Date(Date.now() + 1000).toISOString());
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /PASS[\s\S]*report: .*\.html/);
  const ref = engine.services.pseudonymize(uniqueId('s'));
  await engine.services.log.append({
    subjectRef: ref,
    kind: 'delivery',
    outcome: 'sent',
    decisionId: ulid(),
    processor: 'smtp-relay',
    purpose: 'marketing.email.newsletter',
    channel: 'email',
  });
  const failed = await review('run', '--since', since, '--until', new Date(Date.now() + 1000).toISOString(), '--json');
  assert.equal(failed.code, 1);
  const s = JSON.parse(failed.stdout) as ReportSummary;
  assert.equal(s.status, 'fail');
  assert.deepEqual(s.failures, ['send_without_allow', 'delivery_without_decision']);
});

test('review show lists reports newest first and --latest prints the HTML path', async () => {
  const list = await review('show', '--json');
  assert.equal(list.code, 0);
  const all = JSON.parse(list.stdout) as ReportSummary[];
  assert.ok(all.length >= 2, list.stdout);
  assert.deepEqual(all.map((r) => r.status).slice(0, 2), ['fail', 'pass']);
  const latest = await review('show', '--latest');
  assert.match(
    latest.stdout,
    new RegExp(`^${all[0]!.id}  FAIL[\\s\\S]*report: ${all[0]!.htmlPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
  );
  const one = await review('show', all[1]!.id, '--json');
  assert.equal((JSON.parse(one.stdout) as { report: { id: string } }).report.id, all[1]!.id);
});

test('bad input is named with how to fix it', async () => {
  assert.match((await review('show', '../etc/passwd')).stderr, /is not a review id/);
  assert.match((await review('show', '20250101T000000Z-00000000')).stderr, /no report 20250101T000000Z-00000000/);
  assert.match((await review('run', '--since', 'yesterday')).stderr, /--since "yesterday" is not a date/);
  assert.match(
    (await review('run', '--since', '2025-02-01', '--until', '2025-01-01')).stderr,
    /must be before --until/,
  );
  assert.match((await review('schedule', '--every', '5x')).stderr, /--every: "5x" is not a duration/);
  assert.match((await review('schedule', '--every', '1d', '--cron', '0 3 * * *')).stderr, /either --every or --cron/);
  assert.equal((await review('schedule', '--cron', 'daily')).code, 2);
});

test('review schedule creates the daily schedule idempotently with overlap SKIP, and a triggered run completes', async () => {
  const first = await review('schedule', '--json');
  assert.equal(first.code, 0, first.stderr);
  assert.equal((JSON.parse(first.stdout) as { status: string }).status, 'created');
  const handle = engine.client.schedule.getHandle(scheduleId());
  let d = await handle.describe();
  assert.equal(d.policies.overlap, 'SKIP');
  assert.equal(d.spec.intervals?.[0]?.every, 86_400_000);
  assert.equal(d.action.type === 'startWorkflow' && d.action.workflowType, 'review');
  const again = await review('schedule', '--cron', '0 3 * * *', '--json');
  assert.equal((JSON.parse(again.stdout) as { status: string }).status, 'updated');
  d = await handle.describe();
  assert.equal(d.spec.intervals?.length ?? 0, 0);
  assert.ok(
    (d.spec.calendars?.length ?? 0) > 0 || (d.spec as { cronExpressions?: string[] }).cronExpressions?.length,
    'the cron cadence replaced the interval',
  );

  await handle.trigger();
  const started = await eventually(
    async () => (await handle.describe()).info.recentActions.at(-1)?.action.workflow,
    20_000,
    'the triggered review',
  );
  const summary = (await engine.client.workflow
    .getHandle(started.workflowId, started.firstExecutionRunId)
    .result()) as ReportSummary;
  assert.match(summary.id, /^\d{8}T\d{6}Z-/);
  assert.equal(
    Date.parse(summary.period.until) - Date.parse(summary.period.since),
    86_400_000,
    'a run reviews the day before it',
  );
  const shown = await review('show', summary.id);
  assert.equal(shown.code, 0);
});
