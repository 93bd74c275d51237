import type { Command } from 'commander';
import { InvalidDurationError, parseDuration } from '../domain/duration.js';
import type { ReportSummary } from '../domain/review-report.js';
import { listReports, readReport, reportsDirOf, ReviewReportError, summarize } from '../infra/reports/report-store.js';
import {
  ensureReviewSchedule,
  reviewResult,
  startReviewRun,
  type ReviewCadence,
} from '../infra/temporal/review-schedule.js';
import { type CliContext, CliUsageError, type RegisterCommands } from './context.js';
import { OperatorAction } from '../domain/operator-action.js';
import { operatorOf, operatorOptions, recordOperator, type OperatorOptions } from './operator-log.js';

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const CRON = /^(\S+\s+){4}\S+$/;

function dateFlag(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const t = DATE.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t))
    throw new CliUsageError(
      `${flag} "${value}" is not a date; use ISO 8601 such as 2025-01-31 or 2025-01-31T12:00:00Z`,
    );
  return new Date(t);
}

/** The review period from the flags: defaults to the 24 hours up to now. */
function period(o: { since?: string; until?: string }): { since: Date; until: Date } {
  const until = dateFlag('--until', o.until) ?? new Date();
  const since = dateFlag('--since', o.since) ?? new Date(until.getTime() - 86_400_000);
  if (since >= until)
    throw new CliUsageError(`--since (${since.toISOString()}) must be before --until (${until.toISOString()})`);
  return { since, until };
}

function cadence(o: { every?: string; cron?: string }): ReviewCadence {
  if (o.every !== undefined && o.cron !== undefined) throw new CliUsageError('give either --every or --cron, not both');
  if (o.cron !== undefined) {
    if (!CRON.test(o.cron.trim()))
      throw new CliUsageError(
        `--cron "${o.cron}" needs five fields (minute hour day-of-month month day-of-week), e.g. '0 3 * * *' for 03:00 UTC daily`,
      );
    return { cron: o.cron.trim() };
  }
  try {
    return { everyMs: parseDuration(o.every ?? '1d') };
  } catch (e) {
    if (e instanceof InvalidDurationError) throw new CliUsageError(`--every: ${e.message}`);
    throw e;
  }
}

const line = (s: ReportSummary): string =>
  `${s.id}  ${s.status.toUpperCase().padEnd(4)}  ${s.period.since} → ${s.period.until}  entries ${s.entries}  violations ${s.violations}  chain breaks ${s.chainBreaks}  anomalies ${s.anomalies}`;

const detail = (s: ReportSummary): string =>
  [
    line(s),
    s.failures.length ? `  failed: ${s.failures.join(', ')}` : '  every invariant holds and the chain verifies',
    `  report: ${s.htmlPath}`,
    `  json:   ${s.jsonPath}`,
  ].join('\n');

async function runReview(
  ctx: CliContext,
  o: OperatorOptions & { since?: string; until?: string; wait: boolean; json?: boolean },
): Promise<void> {
  const p = period(o);
  const op = operatorOf(ctx, o);
  const client = await ctx.temporal();
  // Recorded before it starts: the review then counts its own request, whatever the timing.
  await recordOperator(ctx, op, {
    action: OperatorAction.review_run,
    detail: `since=${p.since.toISOString()} until=${p.until.toISOString()}`,
  });
  const handle = await startReviewRun(client, ctx.config().taskQueue, p);
  if (!o.wait) {
    ctx.print(
      o.json,
      { workflowId: handle.workflowId, since: p.since.toISOString(), until: p.until.toISOString() },
      () => `review started: workflow ${handle.workflowId} (see \`consentflow review show --latest\` when it is done)`,
    );
    return;
  }
  const summary = await reviewResult(handle);
  ctx.print(o.json, summary, () => detail(summary));
  if (summary.status === 'fail') process.exitCode = 1;
}

async function schedule(ctx: CliContext, o: { every?: string; cron?: string; json?: boolean }): Promise<void> {
  const c = cadence(o);
  const r = await ensureReviewSchedule(await ctx.temporal(), ctx.config().taskQueue, c, { replace: true });
  const when = 'cron' in c ? `cron '${c.cron}' (UTC)` : `every ${o.every ?? '1d'}`;
  ctx.print(
    o.json,
    { ...r, ...('cron' in c ? { cron: c.cron } : { everyMs: c.everyMs }), overlap: 'SKIP' },
    () => `review schedule ${r.scheduleId} ${r.status}: ${when}, overlap policy SKIP`,
  );
}

async function show(
  ctx: CliContext,
  id: string | undefined,
  o: OperatorOptions & { latest?: boolean; json?: boolean },
): Promise<void> {
  const dir = reportsDirOf(ctx.config());
  const op = operatorOf(ctx, o);
  if (id === undefined && !o.latest) {
    const all = await listReports(dir);
    ctx.print(o.json, all, () =>
      all.length ? all.map(line).join('\n') : `no reports in ${dir} yet; run \`consentflow review run\``,
    );
    return;
  }
  if (id !== undefined && o.latest) throw new CliUsageError('give a report id or --latest, not both');
  let wanted = id;
  if (wanted === undefined) {
    wanted = (await listReports(dir))[0]?.id;
    if (wanted === undefined) throw new CliUsageError(`no reports in ${dir} yet; run \`consentflow review run\``);
  }
  let report;
  try {
    report = await readReport(dir, wanted);
  } catch (e) {
    if (e instanceof ReviewReportError) throw new CliUsageError(e.message);
    throw e;
  }
  if (!report) throw new CliUsageError(`no report ${wanted} in ${dir}; list them with \`consentflow review show\``);
  const s = summarize(dir, report);
  await recordOperator(ctx, op, { action: OperatorAction.report_read, detail: `report=${report.id}` });
  ctx.print(o.json, { ...s, report }, () => detail(s));
}

/** Adds `review run|schedule|show`, the periodic compliance review. */
export const registerReviewCommands: RegisterCommands = (program: Command, ctx: CliContext) => {
  const review = program
    .command('review')
    .description('Periodic compliance review of the decision log: run, schedule and read reports');
  operatorOptions(review.command('run'))
    .description('Review a period now; exits 1 when an invariant fails or the chain is broken')
    .option('--since <date>', 'start of the period, ISO 8601 (default: 24 hours before --until)')
    .option('--until <date>', 'end of the period, exclusive, ISO 8601 (default: now)')
    .option('--wait', 'wait for the report (default)', true)
    .option('--no-wait', 'start the review and return at once')
    .option('--json', 'print JSON')
    .action((o: OperatorOptions & { since?: string; until?: string; wait: boolean; json?: boolean }) =>
      runReview(ctx, o),
    );
  review
    .command('schedule')
    .description(
      'Create or update the review schedule (daily unless told otherwise; a run still going makes the next one skip)',
    )
    .option(
      '--every <duration>',
      'interval such as 12h, 1d or 1w; each run reviews the interval before it (default 1d)',
    )
    .option('--cron <expr>', "cron expression in UTC, e.g. '0 3 * * *'; each run reviews the day before it")
    .option('--json', 'print JSON')
    .action((o: { every?: string; cron?: string; json?: boolean }) => schedule(ctx, o));
  operatorOptions(review.command('show'))
    .description('List reports (newest first), or show one with the path of its HTML')
    .argument('[id]', 'report id from the list')
    .option('--latest', 'the newest report')
    .option('--json', 'print JSON (one report: its summary and the full report)')
    .action((id: string | undefined, o: OperatorOptions & { latest?: boolean; json?: boolean }) => show(ctx, id, o));
};
