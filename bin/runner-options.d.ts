/** Node flags and extra environment for running `command` in the launcher's child; throws on an unreadable variable. */
export declare function runnerOptions(
  command: string | undefined,
  env?: NodeJS.ProcessEnv,
): { nodeFlags: string[]; env: Record<string, string> };
