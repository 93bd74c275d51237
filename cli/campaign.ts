import type { Campaign } from '../domain/campaign.js';
import { failureLine } from '../domain/load-result.js';
import { parseDuration } from '../domain/duration.js';
import { deployCampaign, type DeployResult } from '../infra/bundles/deploy.js';
import { deployAndStart } from '../infra/bundles/start-deployed.js';
import type { Workspace } from '../infra/workspace/load.js';
import { addCampaignStatusCommands } from './campaign-status.js';
import { addCampaignControlCommands } from './campaign-control.js';
import { OperatorAction } from '../domain/operator-action.js';
import { operatorOf, operatorOptions, recordOperator, type Operator, type OperatorOptions } from './operator-log.js';
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
  throw new CliUsageError(
    `no campaign "${id}"; campaigns: ${Object.keys(ws.campaigns).join(', ')}${unreadable.length ? ` (these files do not load: ${unreadable.join(', ')})` : ''}`,
  );
}

function segmentById(ws: Workspace, id: string) {
  const s = Object.hasOwn(ws.segments, id) ? ws.segments[id] : undefined;
  if (s) return s;
  const failed = ws.otherFailures.filter((f) => f.file.startsWith(ws.paths.segments.slice(ws.paths.root.length + 1)));
  throw new CliUsageError(
    `segment "${id}" does not exist; segments: ${Object.keys(ws.segments).join(', ')}${failed.length ? ` (these files do not load: ${failed.map((f) => f.file).join(', ')})` : ''}`,
  );
}

/** Runs a campaign command; a campaign file that does not load prints its one line and exits 1, no stack trace. */
function withCampaign<O>(
  ctx: CliContext,
  run: (c: Campaign, ws: Workspace, opts: O) => Promise<void>,
): (id: string, opts: O) => Promise<void> {
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

/** Prints why a deploy stored nothing (lint problems, or content that does not build) and sets exit code 1. */
function deployRefused(
  ctx: CliContext,
  id: string,
  verb: 'deploy' | 'start',
  r: { ok: true } | Exclude<DeployResult, { ok: true }>,
  json?: boolean,
): boolean {
  if (r.ok) return false;
  const key = verb === 'start' ? 'started' : 'deployed';
  if (r.reason === 'lint') {
    ctx.print(json, { [key]: false, problems: r.problems }, () =>
      [
        `refusing to ${verb} ${id}: it does not lint clean`,
        ...r.problems.map((p) => `  [${p.code}] ${p.message}`),
      ].join('\n'),
    );
  } else {
    ctx.print(json, { [key]: false, error: r.message }, () => `refusing to ${verb} ${id}: ${r.message}`);
  }
  process.exitCode = 1;
  return true;
}

/** A deploy that stored a policy version for the first time deployed that policy: an operator action of its own. */
async function recordPolicyDeployed(
  ctx: CliContext,
  op: Operator,
  d: { readonly policyCreated: boolean; readonly policyVersion: string },
): Promise<void> {
  if (d.policyCreated)
    await recordOperator(ctx, op, { action: OperatorAction.policy_deployed, detail: `policy=${d.policyVersion}` });
}

function positive(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliUsageError(`${flag} must be a positive number, got "${v}"`);
  return n;
}

/** `campaign lint|dry-run|start|status`. */
export const registerCampaignCommands: RegisterCommands = (program, ctx) => {
  const campaign = program
    .command('campaign')
    .description('lint, simulate, start, watch and reconcile campaigns of the workspace');
  addCampaignLintCommand(campaign, ctx);

  campaign
    .command('dry-run')
    .description(
      'simulate a campaign on its segment: who would get which fields, who is blocked and why; sends and logs nothing',
    )
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
          readFieldsMany: s.subjects.readFieldsMany.bind(s.subjects),
          loadGuardStates: s.consent.loadGuardStates.bind(s.consent),
          // Read-only: counts the cap window the send path's script keeps (scores are send times), takes no slot.
          capUsed: (refs, channel, windowMs, nowMs) =>
            Promise.all(
              refs.map((ref) => redis.zcount(s.keys.frequencyWindow(ref, channel), `(${nowMs - windowMs}`, '+inf')),
            ),
        };
        const report = await dryRun(
          ports,
          s.policy,
          (id) => ws.templates.meta(id),
          c,
          segment,
          positive('--limit', opts.limit, 50),
        );
        ctx.print(opts.json, report, () => humanDryRun(report));
      }),
    );

  operatorOptions(campaign.command('deploy'))
    .description(
      'lint a campaign, then store its immutable bundle (campaign, templates, segment, policy snapshot) in Redis',
    )
    .argument('<id>', 'campaign id')
    .option('--segment <id>', 'deploy it on another segment than the campaign audience')
    .option('--json', 'print the result as JSON')
    .action(
      withCampaign(ctx, async (c, ws, opts: OperatorOptions & { segment?: string; json?: boolean }) => {
        const op = operatorOf(ctx, opts);
        if (opts.segment) segmentById(ws, opts.segment);
        const s = await ctx.services();
        const d = await deployCampaign(s.bundles, ws, await ctx.policy(), c, { segment: opts.segment });
        if (deployRefused(ctx, c.id, 'deploy', d, opts.json) || !d.ok) return;
        await recordPolicyDeployed(ctx, op, d);
        if (d.created)
          await recordOperator(ctx, op, {
            action: OperatorAction.campaign_deployed,
            campaignId: c.id,
            detail: `bundle=${d.hash} policy=${d.policyVersion}`,
          });
        ctx.print(
          opts.json,
          { deployed: true, bundle: d.hash, created: d.created, policyVersion: d.policyVersion },
          () =>
            `${d.created ? 'deployed' : 'already deployed'}: ${c.id} bundle ${d.hash} (policy ${d.policyVersion.slice(0, 12)}); start it with \`consentflow campaign start ${c.id}\``,
        );
      }),
    );

  operatorOptions(campaign.command('start'))
    .description(
      'deploy a campaign, then start it on its segment (or on named subjects); refuses a campaign that does not lint clean',
    )
    .argument('<id>', 'campaign id')
    .option('--segment <id>', 'run on another segment than the campaign audience')
    .option('--subject <id...>', 'enrol these subjects only (one journey each)')
    .option('--time-scale <factor>', 'multiply every wait (for demos: 0.0001 turns days into seconds)', '1')
    .option('--json', 'print the result as JSON')
    .action(
      withCampaign(
        ctx,
        async (
          c,
          ws,
          opts: OperatorOptions & { segment?: string; subject?: string[]; timeScale?: string; json?: boolean },
        ) => {
          const id = c.id;
          const op = operatorOf(ctx, opts);
          if (opts.segment && opts.subject) throw new CliUsageError('give either --segment or --subject, not both');
          if (opts.segment) segmentById(ws, opts.segment);
          const timeScale = positive('--time-scale', opts.timeScale, 1);
          const s = await ctx.services();
          const audience = opts.subject
            ? { subjectRefs: opts.subject.map((sid) => s.pseudonymize(sid)) }
            : { segment: opts.segment };
          const r = await deployAndStart(
            { client: await ctx.temporal(), services: s, taskQueue: ctx.config().taskQueue },
            ws,
            await ctx.policy(),
            c,
            audience,
            { timeScale, monitorTickMs: parseDuration(ctx.config().env.CONSENTFLOW_MONITOR_TICK) },
          );
          if (deployRefused(ctx, id, 'start', r, opts.json) || !r.ok) return;
          await recordPolicyDeployed(ctx, op, r);
          const res = r.start;
          const version = r.bundle;
          const detail =
            res.kind === 'run'
              ? `run=${res.runId} bundle=${version}${res.alreadyRunning ? ' already_running' : ''}`
              : `run=${res.runId} bundle=${version} enrolled=${res.started}`;
          await recordOperator(ctx, op, { action: OperatorAction.campaign_started, campaignId: id, detail });
          ctx.print(opts.json, { started: true, campaignVersion: version, bundle: version, ...res }, () =>
            res.kind === 'run'
              ? `${res.alreadyRunning ? 'already running' : 'started'}: ${res.workflowId} run ${res.runId} (bundle ${version.slice(0, 12)}); watch it with \`consentflow campaign status ${id} --watch\``
              : `enrolled ${res.started} subject(s) (${res.existing} already enrolled) in ${id}, run ${res.runId} (bundle ${version.slice(0, 12)}); see \`consentflow campaign status ${id}\``,
          );
        },
      ),
    );

  addCampaignStatusCommands(campaign, ctx, async (id) => void (await campaignById(ctx, id)));
  addCampaignControlCommands(campaign, ctx, async (id) => void (await campaignById(ctx, id)));
};
