import { randomBytes } from 'node:crypto';
import { Command, CommanderError } from 'commander';
import type { Redis } from 'ioredis';
import { type AppConfig, buildConfig, parseEnv } from '../../infra/config.js';
import { redisKeys } from '../../infra/redis/keys.js';
import { CliUsageError, type CliContext, type RegisterCommands } from '../../cli/context.js';
import { workspaceAccess } from '../../cli/workspace-access.js';
import { resolveActor } from '../../cli/actor.js';
import { createServices } from '../../infra/compose.js';
import { exampleRoot } from './example-workspace.js';

/** The outcome of one in-process CLI run. */
export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  /** 0 ok, 1 command reported problems (process.exitCode), 2 usage error. */
  readonly code: number;
}

/** Fresh random values for the five secrets a command reads from its environment (base64, 32 bytes each). */
export function randomSecretEnv(): Record<
  | 'CONSENTFLOW_MASTER_KEY'
  | 'CONSENTFLOW_PSEUDONYM_KEY'
  | 'CONSENTFLOW_LOG_KEY'
  | 'CONSENTFLOW_TOKEN_KEY'
  | 'CONSENTFLOW_CODEC_KEY',
  string
> {
  const b64 = () => randomBytes(32).toString('base64');
  return {
    CONSENTFLOW_MASTER_KEY: b64(),
    CONSENTFLOW_PSEUDONYM_KEY: b64(),
    CONSENTFLOW_LOG_KEY: b64(),
    CONSENTFLOW_TOKEN_KEY: b64(),
    CONSENTFLOW_CODEC_KEY: b64(),
  };
}

/**
 * A CLI context over a given Redis client and key prefix, with fresh secrets; output is captured per run. It acts
 * outside dev: the actor comes from `actorEnv` (CONSENTFLOW_ACTOR=test-operator unless a test changes it).
 */
export function testCliContext(
  redis: Redis,
  prefix: string,
): CliContext & { out: string[]; actorEnv: Record<string, string | undefined> } {
  const config: AppConfig = buildConfig(parseEnv({ REDIS_KEY_PREFIX: prefix, ...randomSecretEnv() }));
  const out: string[] = [];
  const ws = workspaceAccess({}, exampleRoot);
  const actorEnv: Record<string, string | undefined> = { CONSENTFLOW_ACTOR: 'test-operator' };
  return {
    out,
    actorEnv,
    actor: (flag) => resolveActor({ flag, env: actorEnv, dev: false }),
    selectWorkspace: (dir) => ws.select(dir),
    workspace: () => ws.workspace(),
    workspacePaths: () => ws.paths(),
    policy: () => ws.policy(),
    services: async () => createServices(config, redis, await ws.policy()),
    config: () => config,
    redis: () => redis,
    keys: () => redisKeys(prefix),
    redisUrl: () => 'redis://unused',
    temporalAddress: () => 'unused:0',
    smtpUrl: () => 'smtp://unused',
    temporal: () => Promise.reject(new Error('no Temporal in CLI unit tests')),
    close: async () => {},
    print: (json, value, human) => void out.push(json ? JSON.stringify(value) : human()),
  };
}

/** Runs `consentflow <args>` in process with the given command modules, as cli.ts would. */
export async function runCli(
  ctx: CliContext & { out: string[] },
  register: readonly RegisterCommands[],
  args: readonly string[],
): Promise<CliRun> {
  const program = new Command('consentflow').exitOverride();
  let stderr = '';
  program.configureOutput({ writeOut: () => {}, writeErr: (s) => void (stderr += s) });
  for (const r of register) r(program, ctx);
  ctx.out.length = 0;
  const saved = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'consentflow', ...args]);
    const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
    return { stdout: ctx.out.join('\n'), stderr, code };
  } catch (e) {
    if (e instanceof CommanderError) return { stdout: ctx.out.join('\n'), stderr, code: 2 };
    if (e instanceof CliUsageError) return { stdout: ctx.out.join('\n'), stderr: `error: ${e.message}`, code: 2 };
    throw e;
  } finally {
    process.exitCode = saved;
  }
}
