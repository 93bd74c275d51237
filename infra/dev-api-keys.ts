import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDirSync } from './private-files.js';
import { z } from 'zod';
import { ConfigError } from './config.js';

const KeyFile = z.array(
  z.object({ name: z.string().min(1), role: z.enum(['marketer', 'reviewer', 'admin']), secret: z.string().min(24) }),
);
/** Local API keys for `consentflow dev`. */
export type DevApiKeys = z.infer<typeof KeyFile>;

/** Reads `<dataDir>/api-keys.json`, creating an admin, a marketer and a reviewer key once when `create` is set. */
export function loadDevApiKeys(dataDir: string, create: boolean): DevApiKeys | undefined {
  const file = join(dataDir, 'api-keys.json');
  if (!existsSync(file)) {
    if (!create) return undefined;
    ensurePrivateDirSync(dataDir);
    const fresh: DevApiKeys = (['admin', 'marketer', 'reviewer'] as const).map((role) => ({
      name: `dev-${role}`,
      role,
      secret: randomBytes(24).toString('base64url'),
    }));
    // 0600: anyone holding the admin key can read and erase profiles.
    writeFileSync(file, JSON.stringify(fresh, null, 2), { mode: 0o600, flag: 'wx' });
  }
  const parsed = KeyFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new ConfigError(
      `${file} is not a valid API keys file (${parsed.error.issues[0]?.message}); move it away to generate new keys.`,
    );
  return parsed.data;
}
