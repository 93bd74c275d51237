
import { campaigns } from '../campaigns/index.js';
import type { Campaign } from '../domain/campaign.js';
import { segments } from '../segments/index.js';
import { createServices } from '../infra/compose.js';
import { campaignVersion } from '../infra/campaign-version.js';
import { lintById } from '../infra/templates/lint-runner.js';
import { loadTemplatePort } from '../infra/templates/port.js';
import { startCampaign } from '../infra/temporal/campaign-runs.js';
import { addCampaignStatusCommands } from './campaign-status.js';
import { addCampaignLintCommand } from './campaign-lint.js';
import { dryRun, type DryRunReport } from './campaign-dry-run.js';
import { CliUsageError, type RegisterCommands } from './context.js';

function campaignById(id: string): Campaign {
  const c = Object.hasOwn(campaigns, id) ? campaigns[id] : undefined;
  if (!c) throw new CliUsageError(`no campaign "${id}"; campaigns: ${Object.keys(campaigns).join(', ')}`);
  return c;
}

function segmentById(id: string) {
  const s = Object.hasOwn(segments, id) ? segments[id] : undefined;
  if (!s) throw new CliUsageError(`--segment "${id}" does not exist; segments: ${Object.keys(segments).join(', ')}`);
  return s;
}

function positive(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliUsageError(`${flag} must be a positive number, got "${v}"`);
  return n;
}

function humanDryRun(r: DryRunReport): string {
  const lines = [`dry run of ${r.campaign} on segment ${r.segment}: ${r.subjects.length} subject(s) shown, nothing sent, nothing logged`];
  for (const s of r.subjects) {
    lines.push(`  ${s.subjectRef}${s.heldOut ? '  (holdout: gets nothing)' : ''}`);
    for (const st of s.steps) lines.push(`    ${st.stepId.padEnd(24)} ${st.outcome === 'allow' ? `SEND ${st.template} with ${st.fieldsReleased.join(', ')}` : `BLOCKED ${st.reasons.join(', ')}`}`);
  }
  const t = r.totals;
  lines.push(`totals: would send ${t.wouldSend}, blocked ${t.blocked}, held out ${t.heldOut}`);
  for (const [reason, n] of Object.entries(t.byReason).sort((a, b) => b[1] - a[1])) lines.push(`  ${reason.padEnd(28)} ${n}`);
  return lines.join('\n');
}

/** `campaign lint|dry-run|start|status`. */
export const registerCampaignCommands: RegisterCommands = (program, ctx) => {
  const campaign = program.command('campaign').description('lint, simulate, start, watch and reconcile campaigns defined in campaigns/');
  addCampaignLintCommand(campaign, ctx);

  campaign
    .command('dry-run')
    .description('simulate a campaign on its segment: who would get which fields, who is blocked and why; sends and logs nothing')
    .argument('<id>', 'campaign id')
    .option('--segment <id>', 'use another segment than the campaign audience')
    .option('--limit <n>', 'show at most n subjects', '50')
    .option('--json', 'print the report as JSON')
    .action(async (id: string, opts: { segment?: string; limit?: string; json?: boolean }) => {
      const c = campaignById(id);
      const segment = segmentById(opts.segment ?? c.audience.segment);
      const s = createServices(ctx.config(), ctx.redis());
      const ports = { pageSubjects: s.subjects.pageSubjects.bind(s.subjects), readFields: s.subjects.readFields.bind(s.subjects), loadGuardStates: s.consent.loadGuardStates.bind(s.consent) };
      const report = await dryRun(ports, s.policy, await loadTemplatePort(), c, segment, positive('--limit', opts.limit, 50));
      ctx.print(opts.json, report, () => humanDryRun(report));
    });

  campaign
    .command('start')
    .description('start a campaign on its segment (or on named subjects); refuses a campaign that does not lint clean')
    .argument('<id>', 'campaign id')
    .option('--segment <id>', 'run on another segment than the campaign audience')
    .option('--subject <id...>', 'enrol these subjects only (one journey each)')
    .option('--time-scale <factor>', 'multiply every wait (for demos: 0.0001 turns days into seconds)', '1')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { segment?: string; subject?: string[]; timeScale?: string; json?: boolean }) => {
      const c = campaignById(id);
      if (opts.segment && opts.subject) throw new CliUsageError('give either --segment or --subject, not both');
      if (opts.segment) segmentById(opts.segment);
      const lint = lintById(id);
      if (!lint.ok) {
        ctx.print(opts.json, { started: false, problems: lint.problems }, () => [`refusing to start ${id}: it does not lint clean`, ...lint.problems.map((p) => `  [${p.code}] ${p.message}`)].join('\n'));
        process.exitCode = 1;
        return;
      }
      const s = createServices(ctx.config(), ctx.redis());
      const audience = opts.subject ? { subjectRefs: opts.subject.map((sid) => s.pseudonymize(sid)) } : { segment: opts.segment };
      const version = campaignVersion(c, await loadTemplatePort());
      const res = await startCampaign(await ctx.temporal(), c, audience, { taskQueue: ctx.config().taskQueue, campaignVersion: version, runs: s.runs, timeScale: positive('--time-scale', opts.timeScale, 1) });
      ctx.print(opts.json, { started: true, campaignVersion: version, ...res }, () =>
        res.kind === 'run'
          ? `${res.alreadyRunning ? 'already running' : 'started'}: ${res.workflowId} run ${res.runId} (version ${version}); watch it with \`consentflow campaign status ${id} --watch\``
          : `enrolled ${res.started} subject(s) (${res.existing} already enrolled) in ${id}, run ${res.runId} (version ${version}); see \`consentflow campaign status ${id}\``,
      );
    });

  addCampaignStatusCommands(campaign, ctx, (id) => void campaignById(id));
};
