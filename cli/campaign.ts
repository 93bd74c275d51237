
import type { Campaign } from '../domain/campaign.js';
import { failureLine } from '../domain/load-result.js';
import { campaignVersion } from '../infra/campaign-version.js';
import { lintById, workspaceLintSources } from '../infra/templates/lint-runner.js';
import { templatePort } from '../infra/templates/port.js';
import type { Workspace } from '../infra/workspace/load.js';
import { startCampaign } from '../infra/temporal/campaign-runs.js';
import { addCampaignStatusCommands } from './campaign-status.js';
import { addCampaignControlCommands } from './campaign-control.js';
import { OperatorAction } from '../domain/operator-action.js';
import { operatorOf, operatorOptions, recordOperator, type OperatorOptions } from './operator-log.js';
import { addCampaignLintCommand } from './campaign-lint.js';
import { dryRun, humanDryRun, type DryRunPorts } from './campaign-dry-run.js';
import { CliUsageError, type CliContext, type RegisterCommands } from './context.js';

/** A campaign that did not load: its one failure line is the output, and the command exits 1. */
class CampaignNotLoaded extends Error {
  override readonly name = 'CampaignNotLoaded';
}

async function campaignById(ctx: CliContext, id: string): Promise<Campaign> {
  const ws = await ctx.workspace();
  const c = Object.hasOwn(ws.campaigns, id) ? ws.campaigns[id] : undefined;
  if (c) return c;
  const failed = ws.campaignFailures.find((f) => f.id === id);
  if (failed) throw new CampaignNotLoaded(failureLine(failed));
  const unreadable = ws.campaignFailures.filter((f) => f.id === undefined).map((f) => f.file);
  throw new CliUsageError(`no campaign "${id}"; campaigns: ${Object.keys(ws.campaigns).join(', ')}${unreadable.length ? ` (these files do not load: ${unreadable.join(', ')})` : ''}`);
}

function segmentById(ws: Workspace, id: string) {
  const s = Object.hasOwn(ws.segments, id) ? ws.segments[id] : undefined;
  if (s) return s;
  const failed = ws.otherFailures.filter((f) => f.file.startsWith(ws.paths.segments.slice(ws.paths.root.length + 1)));
  throw new CliUsageError(`segment "${id}" does not exist; segments: ${Object.keys(ws.segments).join(', ')}${failed.length ? ` (these files do not load: ${failed.map((f) => f.file).join(', ')})` : ''}`);
}

/** Runs a campaign command; a campaign file that does not load prints its one line and exits 1, no stack trace. */
function withCampaign<O>(ctx: CliContext, run: (c: Campaign, ws: Workspace, opts: O) => Promise<void>): (id: string, opts: O) => Promise<void> {
  return async (id, opts) => {
    try {
      const c = await campaignById(ctx, id);
      await run(c, await ctx.workspace(), opts);
    } catch (e) {
      if (!(e instanceof CampaignNotLoaded)) throw e;
      console.error(e.message);
      process.exitCode = 1;
    }
  };
}

function positive(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliUsageError(`${flag} must be a positive number, got "${v}"`);
  return n;
}

/** `campaign lint|dry-run|start|status`. */
export const registerCampaignCommands: RegisterCommands = (program, ctx) => {
  const campaign = program.command('campaign').description('lint, simulate, start, watch and reconcile campaigns of the workspace');
  addCampaignLintCommand(campaign, ctx);

  campaign
    .command('dry-run')
    .description('simulate a campaign on its segment: who would get which fields, who is blocked and why; sends and logs nothing')
    .argument('<id>', 'campaign id')
    .option('--segment <id>', 'use another segment than the campaign audience')
    .option('--limit <n>', 'list at most n subjects (totals always cover the whole audience)', '50')
    .option('--json', 'print the report as JSON')
    .action(
      withCampaign(ctx, async (c, ws, opts: { segment?: string; limit?: string; json?: boolean }) => {
        const segment = segmentById(ws, opts.segment ?? c.audience.segment);
        const s = await ctx.services();
        const redis = ctx.redis();
        const ports: DryRunPorts = {
          pageSubjects: s.subjects.pageSubjects.bind(s.subjects),
          readFields: s.subjects.readFields.bind(s.subjects),
          loadGuardStates: s.consent.loadGuardStates.bind(s.consent),
          // Read-only: counts the cap window the send path's script keeps (scores are send times), takes no slot.
          capUsed: (refs, channel, windowMs, nowMs) => Promise.all(refs.map((ref) => redis.zcount(s.keys.frequencyWindow(ref, channel), `(${nowMs - windowMs}`, '+inf'))),
        };
        const report = await dryRun(ports, s.policy, (id) => ws.templates.meta(id), c, segment, positive('--limit', opts.limit, 50));
        ctx.print(opts.json, report, () => humanDryRun(report));
      }),
    );

  operatorOptions(campaign
    .command('start'))
    .description('start a campaign on its segment (or on named subjects); refuses a campaign that does not lint clean')
    .argument('<id>', 'campaign id')
    .option('--segment <id>', 'run on another segment than the campaign audience')
    .option('--subject <id...>', 'enrol these subjects only (one journey each)')
    .option('--time-scale <factor>', 'multiply every wait (for demos: 0.0001 turns days into seconds)', '1')
    .option('--json', 'print the result as JSON')
    .action(
      withCampaign(ctx, async (c, ws, opts: OperatorOptions & { segment?: string; subject?: string[]; timeScale?: string; json?: boolean }) => {
      const id = c.id;
      const op = operatorOf(ctx, opts);
      if (opts.segment && opts.subject) throw new CliUsageError('give either --segment or --subject, not both');
      if (opts.segment) segmentById(ws, opts.segment);
      const lint = lintById(id, workspaceLintSources(ws, await ctx.policy()));
      if (!lint.ok) {
        ctx.print(opts.json, { started: false, problems: lint.problems }, () => [`refusing to start ${id}: it does not lint clean`, ...lint.problems.map((p) => `  [${p.code}] ${p.message}`)].join('\n'));
        process.exitCode = 1;
        return;
      }
      const s = await ctx.services();
      const audience = opts.subject ? { subjectRefs: opts.subject.map((sid) => s.pseudonymize(sid)) } : { segment: opts.segment };
      const version = campaignVersion(c, templatePort(ws.templates));
      const res = await startCampaign(await ctx.temporal(), c, audience, { taskQueue: ctx.config().taskQueue, campaignVersion: version, runs: s.runs, timeScale: positive('--time-scale', opts.timeScale, 1) });
      const detail = res.kind === 'run' ? `run=${res.runId} version=${version}${res.alreadyRunning ? ' already_running' : ''}` : `run=${res.runId} version=${version} enrolled=${res.started}`;
      await recordOperator(ctx, op, { action: OperatorAction.campaign_started, campaignId: id, detail });
      ctx.print(opts.json, { started: true, campaignVersion: version, ...res }, () =>
        res.kind === 'run'
          ? `${res.alreadyRunning ? 'already running' : 'started'}: ${res.workflowId} run ${res.runId} (version ${version}); watch it with \`consentflow campaign status ${id} --watch\``
          : `enrolled ${res.started} subject(s) (${res.existing} already enrolled) in ${id}, run ${res.runId} (version ${version}); see \`consentflow campaign status ${id}\``,
      );
      }),
    );

  addCampaignStatusCommands(campaign, ctx, async (id) => void (await campaignById(ctx, id)));
  addCampaignControlCommands(campaign, ctx, async (id) => void (await campaignById(ctx, id)));
};
