import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { PolicyBundle } from '../domain/policy.js';
import type { Services } from '../infra/compose.js';
import type { AppConfig } from '../infra/config.js';
import type { Workspace } from '../infra/workspace/load.js';
import type { WorkspacePaths } from '../infra/workspace/paths.js';
import type { RedisKeys } from '../infra/redis/keys.js';

/** Bad input on the command line: printed as one line (no stack trace), exit code 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/**
 * What every command module gets. Everything is lazy, so `--help` and pure commands need no environment and no
 * services; the entry point closes whatever was opened.
 */
export interface CliContext {
  /** The configuration, parsed once from the environment (throws a ConfigError naming the bad variable). */
  config(): AppConfig;
  /** A connected Redis client for the configured REDIS_URL (or the running `consentflow dev`). */
  redis(): Redis;
  /** Key builder with the configured prefix. */
  keys(): RedisKeys;
  /** Where Redis, Temporal and SMTP are: the configured URLs, else the running `consentflow dev`. */
  redisUrl(): string;
  temporalAddress(): string;
  smtpUrl(): string;
  /** A Temporal client with the shared encrypted data converter, connected on first use. */
  temporal(): Promise<Client>;
  /** Chooses the workspace folder (`--workspace`); undefined means CONSENTFLOW_WORKSPACE, else the current directory. */
  selectWorkspace(dir: string | undefined): void;
  /** The loaded workspace: campaigns, segments, templates and policy, with every file that failed to load. */
  workspace(): Promise<Workspace>;
  /** The workspace folders: `--workspace`, CONSENTFLOW_WORKSPACE or the current directory, with its config applied. */
  workspacePaths(): Promise<WorkspacePaths>;
  /** The workspace policy (a usage error naming the file and path when it does not load). */
  policy(): Promise<PolicyBundle>;
  /** The Redis-backed stores wired with the workspace policy. */
  services(): Promise<Services>;
  /** Who runs an operator command: `--actor`, else CONSENTFLOW_ACTOR; only against a running `dev`, $USER (a usage error otherwise). */
  actor(flag: string | undefined): string;
  /** Closes whatever the context opened. */
  close(): Promise<void>;
  /** Prints `value` as JSON when `json` is true, else the human rendering. */
  print(json: boolean | undefined, value: unknown, human: () => string): void;
}

/** A CLI module adds its commands to the program. */
export type RegisterCommands = (program: Command, ctx: CliContext) => void;
