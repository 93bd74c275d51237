import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import type { RunReconciliation } from '../domain/run.js';
import { reconcileRun } from '../infra/redis/run-reconcile.js';
import type { RunRecord } from '../infra/redis/run-store.js';
import { runState, type RunState } from '../infra/temporal/campaign-runs.js';
import { CliUsageError, type CliContext } from './context.js';

/** A run's accounting plus where its workflow stands: what `campaign status` and `campaign reconcile` print. */
export interface RunReport {
  readonly run: RunRecord;
  readonly workflow: RunState | undefined;
  readonly reconciliation: RunReconciliation;
}

async function report(ctx: CliContext, campaignId: string, runId: string | undefined): Promise<RunReport> {
  const s = await ctx.services();
  const runs = await s.runs.list(campaignId);
  const run = runId ? runs.find((r) => r.runId === runId) : runs[0];
  if (!run) {
    if (runId)
      throw new CliUsageError(
        `campaign ${campaignId} has no run "${runId}"; its runs: ${runs.map((r) => r.runId).join(', ') || 'none'}`,
      );
    throw new CliUsageError(
      `campaign ${campaignId} has not been started; run \`consentflow campaign start ${campaignId}\``,
    );
  }
  const workflow = run.temporalRunId ? await runState(await ctx.temporal(), run) : undefined;
  // A workflow that ended without closing the run (failed, terminated, cancelled) leaves its members unaccounted.
  const ended = workflow !== undefined && !workflow.running;
  const reconciliation = await reconcileRun(
    s.runs,
    s.ledger,
    ended && run.status !== 'finished' ? { ...run, status: 'finished' } : run,
  );
  return { run, workflow, reconciliation };
}

function state(r: RunReport): string {
  if (r.run.kind === 'journey' && !r.run.temporalRunId)
    return (r.reconciliation.outcomes.in_progress ?? 0) > 0 ? 'JOURNEYS RUNNING' : 'COMPLETED';
  const w = r.workflow;
  if (!w) return 'UNKNOWN (no workflow found in Temporal)';
  const inProgress = r.reconciliation.outcomes.in_progress ?? 0;
  if (w.status === 'COMPLETED' && inProgress > 0) return `COMPLETED (enrolment); ${inProgress} journeys still running`;
  return w.running ? `RUNNING (${w.progress?.status ?? 'running'}, ${w.progress?.phase ?? '?'})` : w.status;
}

function human(r: RunReport, withRefs: boolean): string {
  const x = r.reconciliation;
  const handled = x.audienceSize - x.pending - x.unaccounted;
  if (r.run.stateRemovedAt)
    // Its members' records are gone: counting them again would read every member as unaccounted.
    return [
      `${x.campaignId} run ${x.runId} (${x.kind}${r.run.segment ? `, segment ${r.run.segment}` : ', named subjects'}) started ${r.run.startedAt}`,
      `state ${state(r)}`,
      `audience ${x.audienceSize}${x.audienceDigest ? ` (digest ${x.audienceDigest.slice(0, 16)}…)` : ''}: member records removed by retention at ${r.run.stateRemovedAt}`,
      `summary entry ${r.run.summaryEntryId ?? 'none'}${r.run.summaryResult ? `: ${r.run.summaryResult}` : ' (its counts are in the decision log)'}`,
    ].join('\n');
  const lines = [
    `${x.campaignId} run ${x.runId} (${x.kind}${r.run.segment ? `, segment ${r.run.segment}` : ', named subjects'}) started ${r.run.startedAt}`,
    `state ${state(r)}${r.workflow?.failure ? `: ${r.workflow.failure}` : ''}`,
    `audience ${x.audienceSize}${x.audienceDigest ? ` (digest ${x.audienceDigest.slice(0, 16)}…)` : ''}: ${handled} with an outcome, ${x.pending} pending, ${x.unaccounted} unaccounted`,
    ...Object.entries(x.outcomes)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `  ${k.padEnd(24)} ${n}`),
  ];
  const reasons = Object.entries(x.reasons).sort((a, b) => b[1] - a[1]);
  if (reasons.length) lines.push('reasons', ...reasons.map(([k, n]) => `  ${k.padEnd(32)} ${n}`));
  for (const [step, o] of Object.entries(x.steps))
    lines.push(
      `step ${step}: ${Object.entries(o)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
  if (withRefs && x.unaccountedRefs.length)
    lines.push('unaccounted members', ...x.unaccountedRefs.map((ref) => `  ${ref}`));
  return lines.join('\n');
}

/** `campaign status` and `campaign reconcile`: both built on the ledger's accounting of the run. */
export function addCampaignStatusCommands(
  campaign: Command,
  ctx: CliContext,
  requireCampaign: (id: string) => void | Promise<void>,
): void {
  campaign
    .command('reconcile')
    .description(
      'account for every member of a run: audience size, the count of each outcome, and any member without one',
    )
    .argument('<id>', 'campaign id')
    .option('--run <runId>', 'a run other than the latest')
    .option('--json', 'print the reconciliation as JSON')
    .action(async (id: string, opts: { run?: string; json?: boolean }) => {
      await requireCampaign(id);
      const r = await report(ctx, id, opts.run);
      ctx.print(opts.json, { campaign: id, run: r.run, workflow: r.workflow ?? null, ...r.reconciliation }, () =>
        human(r, true),
      );
      if (r.reconciliation.unaccounted > 0) process.exitCode = 1;
    });

  campaign
    .command('status')
    .description('where the latest run stands: workflow state, audience, outcomes (a live bar with --watch)')
    .argument('<id>', 'campaign id')
    .option('--run <runId>', 'a run other than the latest')
    .option('--watch', 'keep updating until the run finishes')
    .option('--json', 'print the status as JSON')
    .action(async (id: string, opts: { run?: string; json?: boolean; watch?: boolean }) => {
      await requireCampaign(id);
      const bar =
        !opts.json && opts.watch
          ? new SingleBar({ format: '{bar} {value}/{total} members with an outcome | {state}', hideCursor: true })
          : undefined;
      for (let started = false; ; started = true) {
        const r = await report(ctx, id, opts.run);
        const x = r.reconciliation;
        const done = x.audienceSize - x.pending;
        if (bar && !started) bar.start(x.audienceSize, done, { state: state(r) });
        bar?.update(done, { state: state(r) });
        const live = r.workflow?.running === true || (r.run.kind === 'journey' && (x.outcomes.in_progress ?? 0) > 0);
        if (!opts.watch || !live) {
          bar?.stop();
          ctx.print(opts.json, { campaign: id, state: state(r), run: r.run, workflow: r.workflow ?? null, ...x }, () =>
            human(r, false),
          );
          return;
        }
        await new Promise((res) => setTimeout(res, 500));
      }
    });
}
