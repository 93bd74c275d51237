import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ZodError } from 'zod';
import { CliUsageError, type CliContext } from './cli/context.js';
import { makeCliContext } from './cli/make-context.js';
import { registerApiCommands } from './cli/api.js';
import { registerCampaignCommands } from './cli/campaign.js';
import { registerComplaintCommands } from './cli/complaint.js';
import { registerConsentCommands } from './cli/consent.js';
import { registerDevCommands } from './cli/dev.js';
import { registerDsarCommands } from './cli/dsar.js';
import { registerGuardCommands } from './cli/guard.js';
import { registerInitCommands } from './cli/init.js';
import { registerKeyCommands } from './cli/keys.js';
import { registerLogCommands } from './cli/log.js';
import { registerPolicyCommands } from './cli/policy.js';
import { registerReviewCommands } from './cli/review.js';
import { registerSubjectCommands } from './cli/subject.js';
import { ConfigError } from './infra/config.js';
import { ServiceStartError } from './infra/embedded/process.js';

// Next to cli.ts in a checkout, one level up from dist/cli.js in the built package.
const pkgUrl =
  [new URL('./package.json', import.meta.url), new URL('../package.json', import.meta.url)].find((u) =>
    existsSync(u),
  ) ?? new URL('./package.json', import.meta.url);
const pkg = JSON.parse(readFileSync(pkgUrl, 'utf8')) as { version: string };

/** Builds the `consentflow` program with every command module registered. */
export function buildProgram(ctx = makeCliContext()): Command {
  const program = new Command('consentflow')
    .description('Marketing automation on Temporal where no message leaves without a consent decision.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .option(
      '--workspace <dir>',
      'the workspace folder (policy/, campaigns/, segments/); default: CONSENTFLOW_WORKSPACE, else the current directory',
    )
    .exitOverride();
  // Chosen before any action runs, so every command loads content from the same folder.
  program.hook('preAction', () => ctx.selectWorkspace(program.opts<{ workspace?: string }>().workspace));
  const modules = [
    registerInitCommands,
    registerDevCommands,
    registerPolicyCommands,
    registerSubjectCommands,
    registerConsentCommands,
    registerGuardCommands,
    registerCampaignCommands,
    registerLogCommands,
    registerDsarCommands,
    registerApiCommands,
    registerReviewCommands,
    registerKeyCommands,
    registerComplaintCommands,
  ];
  for (const register of modules) register(program, ctx);
  return program;
}

/**
 * Runs one `consentflow` command line (the arguments after the program name) and returns its exit code: 2 for
 * usage and configuration errors, 1 for failures, else what the command left in `process.exitCode`. The context
 * it is given is closed before it returns.
 */
export async function runCommand(args: readonly string[], ctx: CliContext = makeCliContext()): Promise<number> {
  try {
    await buildProgram(ctx).parseAsync(args, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof CliUsageError || e instanceof ConfigError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    if (e instanceof ZodError) {
      console.error(`error: ${e.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
      return 2;
    }
    if (e instanceof ServiceStartError) {
      console.error(`error: ${e.message}`);
      return 1;
    }
    console.error(`error: ${(e as Error).message}${process.env.DEBUG ? `\n${(e as Error).stack}` : ''}`);
    return 1;
  } finally {
    await ctx.close();
  }
}

/** Under bin/consentflow.js: when the launcher goes away, however it died, shut down as if it had sent SIGTERM. */
function followLauncher(): void {
  if (process.env.CONSENTFLOW_LAUNCHED !== '1' || !process.channel) return;
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // The channel alone must not keep a finished command alive.
  process.channel.unref();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  followLauncher();
  runCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
