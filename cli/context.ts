import type { Command } from 'commander';

/** What every command module gets: lazy access to config and clients, so `--help` needs no environment. */
export interface CliContext {
  /** Prints a value: as JSON when --json was given, else with the human formatter. */
  print(value: unknown, human?: (v: unknown) => string): void;
}

/** A CLI module adds its commands to the program. */
export type RegisterCommands = (program: Command, ctx: CliContext) => void;
