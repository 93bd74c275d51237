import type { Command } from 'commander';
import { failureLine, type LoadFailure } from '../domain/load-result.js';
import {
  lintAll,
  lintById,
  UnknownCampaignError,
  workspaceLintSources,
  type CampaignLintResult,
  type LintSources,
} from '../infra/templates/lint-runner.js';
import type { CampaignFailure } from '../infra/workspace/load.js';
import { CliUsageError, type CliContext } from './context.js';

/** What lint works on: the sources that loaded, and every file that did not (each one line of output). */
export interface LintInput {
  readonly sources: LintSources;
  readonly failures: readonly CampaignFailure[];
}

/** The lint input from the CLI's workspace; a policy that does not load is itself the one failure. */
export async function workspaceLintInput(ctx: CliContext): Promise<LintInput | LoadFailure> {
  const ws = await ctx.workspace();
  if (!ws.policy.ok) return ws.policy;
  return {
    sources: workspaceLintSources(ws, ws.policy.value),
    failures: [...ws.campaignFailures, ...ws.otherFailures],
  };
}

function human(results: readonly CampaignLintResult[], failures: readonly LoadFailure[]): string {
  const lines = failures.map((f) => `✗ ${failureLine(f)}`);
  for (const r of results) {
    const sms = r.sms.map(
      (m) =>
        `  sms step ${m.step} (${m.template}): ${m.encoding === 'ucs2' ? 'UCS-2' : 'GSM-7'}, ${m.length} characters of fixed text = ${m.segments} segment(s) of ${m.perSegment}${m.expressions ? `, plus ${m.expressions} merged value(s)` : ''}`,
    );
    if (r.ok) {
      lines.push(`✓ ${r.campaign}: lint clean`, ...sms);
      continue;
    }
    lines.push(`✗ ${r.campaign}: ${r.problems.length} problem(s)`, ...sms);
    for (const p of r.problems)
      lines.push(
        `  [${p.code}]${p.step === undefined ? '' : ` step ${p.step}`}${p.field === undefined ? '' : ` field ${p.field}`}: ${p.message}`,
      );
  }
  const bad = results.filter((r) => !r.ok).length;
  if (failures.length > 0)
    lines.push(`${failures.length} file(s) do not load; ${bad} of ${results.length} loaded campaign(s) have problems`);
  else
    lines.push(
      bad === 0 ? `${results.length} campaign(s) lint clean` : `${bad} of ${results.length} campaign(s) have problems`,
    );
  return lines.join('\n');
}

function select(
  input: LintInput,
  id: string | undefined,
): { results: CampaignLintResult[]; failures: readonly LoadFailure[] } {
  if (id === undefined) return { results: lintAll(input.sources), failures: input.failures };
  const failed = input.failures.filter((f) => f.id === id);
  if (failed.length > 0) return { results: [], failures: failed };
  try {
    return { results: [lintById(id, input.sources)], failures: [] };
  } catch (e) {
    if (!(e instanceof UnknownCampaignError)) throw e;
    const unreadable = input.failures.filter((f) => f.id === undefined).map((f) => f.file);
    throw new CliUsageError(
      `${e.message}${unreadable.length ? ` (these files do not load: ${unreadable.join(', ')})` : ''}`,
    );
  }
}

/** Adds `lint [id] [--json]` to the `campaign` command; exit code 1 when any campaign or file has a problem. */
export function addCampaignLintCommand(
  campaign: Command,
  ctx: CliContext,
  input: () => Promise<LintInput | LoadFailure> = () => workspaceLintInput(ctx),
): void {
  campaign
    .command('lint')
    .description(
      'load every workspace file and check campaigns against the policy: fields, processors, channels, templates, opt-out blocks; exit 1 on any problem',
    )
    .argument('[id]', 'lint one campaign (default: all)')
    .option('--json', 'print the result as JSON')
    .action(async (id: string | undefined, opts: { json?: boolean }) => {
      const loaded = await input();
      const { results, failures } = 'sources' in loaded ? select(loaded, id) : { results: [], failures: [loaded] };
      const ok = failures.length === 0 && results.every((r) => r.ok);
      ctx.print(
        opts.json,
        {
          ok,
          campaigns: results,
          failures: failures.map((f) => ({ file: f.file, path: f.path, message: f.message, line: failureLine(f) })),
        },
        () => human(results, failures),
      );
      // Exit code, not a throw: the problems are the output, not a failure of the command itself.
      if (!ok) process.exitCode = 1;
    });
}
