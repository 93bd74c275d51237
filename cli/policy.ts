import { failureLine } from '../domain/load-result.js';
import { checkPolicy } from '../domain/policy-check.js';
import { loadNoticeTexts } from '../infra/notices/notice-texts.js';
import { loadPolicyInput } from '../infra/workspace/load.js';
import type { RegisterCommands } from './context.js';

const count = (input: unknown, key: string): number => {
  const v = (input as Record<string, unknown> | null)?.[key];
  return Array.isArray(v) ? v.length : 0;
};

/** `policy check`: validates the workspace policy and lists every problem with its path; needs no services. */
export const registerPolicyCommands: RegisterCommands = (program, ctx) => {
  const policy = program.command('policy').description('inspect the compliance policy in the workspace policy/ folder');
  policy
    .command('check')
    .description(
      'validate purposes, notices (and their texts), processors, subject fields and the brand; exit 1 if any problem is found',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const paths = await ctx.workspacePaths();
      const input = await loadPolicyInput(paths);
      if (!input.ok) {
        ctx.print(
          opts.json,
          { ok: false, problems: [{ path: input.path, code: 'load_failed', message: failureLine(input) }] },
          () => failureLine(input),
        );
        process.exitCode = 1;
        return;
      }
      const checked = checkPolicy(input.value);
      // The texts are checked too: a consent names a notice hash, so the text served must hash to it.
      const textProblems = checked.ok
        ? loadNoticeTexts(paths.policy, checked.policy.notices).problems.map((p) => ({
            path: p.file,
            code: p.code,
            message: p.message,
          }))
        : [];
      const result = { ok: checked.ok && textProblems.length === 0, problems: [...checked.problems, ...textProblems] };
      const counts = Object.fromEntries(
        ['purposes', 'notices', 'processors', 'subjectFields'].map((k) => [k, count(input.value, k)]),
      );
      const summary = { ok: result.ok, counts, problems: result.problems };
      ctx.print(opts.json, summary, () => {
        const scope = `${counts.purposes} purposes, ${counts.notices} notices, ${counts.processors} processors, ${counts.subjectFields} subject fields`;
        if (result.ok) return `policy ok: ${scope}`;
        const lines = result.problems.map((p) => `  ${p.path}: ${p.message} [${p.code}]`);
        return [`policy has ${result.problems.length} problem(s) (${scope}):`, ...lines].join('\n');
      });
      // Exit code, not a throw: the problems are the output, not an error of the command itself.
      if (!result.ok) process.exitCode = 1;
    });
};
