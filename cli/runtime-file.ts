import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFileSync } from '../infra/private-files.js';
import { z } from 'zod';

/** Where a running `consentflow dev` can be reached; other commands use it when no URL is configured. */
export const DevRuntime = z.object({
  pid: z.number().int(),
  redisUrl: z.string(),
  temporalAddress: z.string(),
  smtpUrl: z.string(),
  apiUrl: z.string().optional(),
  outbox: z.string().optional(),
});
export type DevRuntime = z.infer<typeof DevRuntime>;

const file = (dataDir: string) => join(dataDir, 'dev.json');

/** Records the running dev stack's addresses. */
export function writeDevRuntime(dataDir: string, rt: DevRuntime): void {
  writePrivateFileSync(file(dataDir), JSON.stringify(rt, null, 2));
}

/** Removes the record when dev stops. */
export function clearDevRuntime(dataDir: string): void {
  rmSync(file(dataDir), { force: true });
}

/** The running dev stack, if its process is still alive. */
export function readDevRuntime(dataDir: string): DevRuntime | undefined {
  if (!existsSync(file(dataDir))) return undefined;
  const parsed = DevRuntime.safeParse(JSON.parse(readFileSync(file(dataDir), 'utf8')));
  if (!parsed.success) return undefined;
  try {
    process.kill(parsed.data.pid, 0);
    return parsed.data;
  } catch {
    return undefined;
  }
}
