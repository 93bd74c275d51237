import { checkPolicy } from '../domain/policy-check.js';
import { policyInput } from '../policy/index.js';
import type { RegisterCommands } from './context.js';

/** `policy check`: validates the shipped policy and lists every problem with its path; needs no services. */
export const registerPolicyCommands: RegisterCommands = (program, ctx) => {
  const policy = program.command('policy').description('inspect the compliance policy in policy/');
  policy
    .command('check')
    .description('validate purposes, notices, processors and subject fields; exit 1 if any problem is found')
    .option('--json', 'print the result as JSON')
    .action((opts: { json?: boolean }) => {
      const result = checkPolicy(policyInput);
      const summary = {
        ok: result.ok,
        counts: {
          purposes: policyInput.purposes.length,
          notices: policyInput.notices.length,
          processors: policyInput.processors.length,
          subjectFields: policyInput.subjectFields.length,
        },
        problems: result.problems,
      };
      ctx.print(opts.json, summary, () => {
        const c = summary.counts;
        const scope = `${c.purposes} purposes, ${c.notices} notices, ${c.processors} processors, ${c.subjectFields} subject fields`;
        if (result.ok) return `policy ok: ${scope}`;
        const lines = result.problems.map((p) => `  ${p.path}: ${p.message} [${p.code}]`);
        return [`policy has ${result.problems.length} problem(s) (${scope}):`, ...lines].join('\n');
      });
      // Exit code, not a throw: the problems are the output, not an error of the command itself.
      if (!result.ok) process.exitCode = 1;
    });
};
