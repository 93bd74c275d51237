import type { Command } from 'commander';
import { lintAll, lintById, shippedLintSources, UnknownCampaignError, type CampaignLintResult, type LintSources } from '../infra/templates/lint-runner.js';
import { CliUsageError, type CliContext } from './context.js';

function human(results: readonly CampaignLintResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    if (r.ok) {
      lines.push(`✓ ${r.campaign}: lint clean`);
      continue;
    }
    lines.push(`✗ ${r.campaign}: ${r.problems.length} problem(s)`);
    for (const p of r.problems) lines.push(`  [${p.code}]${p.step === undefined ? '' : ` step ${p.step}`}${p.field === undefined ? '' : ` field ${p.field}`}: ${p.message}`);
  }
  const bad = results.filter((r) => !r.ok).length;
  lines.push(bad === 0 ? `${results.length} campaign(s) lint clean` : `${bad} of ${results.length} campaign(s) have problems`);
  return lines.join('\n');
}

/** Adds `lint [id] [--json]` to the `campaign` command; exit code 1 when any campaign has a problem. */
export function addCampaignLintCommand(campaign: Command, ctx: CliContext, sources: () => LintSources = () => shippedLintSources()): void {
  campaign
    .command('lint')
    .description('check campaigns against the policy: fields, processors, channels, templates, opt-out blocks; exit 1 on any problem')
    .argument('[id]', 'lint one campaign (default: all)')
    .option('--json', 'print the result as JSON')
    .action((id: string | undefined, opts: { json?: boolean }) => {
      let results: CampaignLintResult[];
      try {
        const src = sources();
        results = id === undefined ? lintAll(src) : [lintById(id, src)];
      } catch (e) {
        if (e instanceof UnknownCampaignError) throw new CliUsageError(e.message);
        throw e;
      }
      const ok = results.every((r) => r.ok);
      ctx.print(opts.json, { ok, campaigns: results }, () => human(results));
      // Exit code, not a throw: the problems are the output, not a failure of the command itself.
      if (!ok) process.exitCode = 1;
    });
}
