import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDirSync } from './private-files.js';
import { z } from 'zod';
import { ConfigError, SECRET_NAMES } from './config.js';

const KeysFile = z.record(z.string(), z.string().regex(/^[A-Za-z0-9+/=]{44,}$/));

/** Reads the local dev keys from `<dataDir>/keys.json`, creating them once when `create` is set. */
export function loadDevKeys(dataDir: string, create: boolean): Record<string, Buffer> | undefined {
  const file = join(dataDir, 'keys.json');
  if (!existsSync(file)) {
    if (!create) return undefined;
    ensurePrivateDirSync(dataDir);
    const fresh = Object.fromEntries(SECRET_NAMES.map((n) => [n, randomBytes(32).toString('base64')]));
    // 0600: these keys decrypt profiles and forge log chains.
    writeFileSync(file, JSON.stringify(fresh, null, 2), { mode: 0o600, flag: 'wx' });
  }
  const parsed = KeysFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new ConfigError(`${file} is not a valid keys file (${parsed.error.issues[0]?.message}). Move it away to let consentflow generate a new one, or fix it.`);
  return Object.fromEntries(Object.entries(parsed.data).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}
