import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config.js';
import { kindOfSecret, SECRET_NAMES, type SecretName } from './config-keys.js';
import {
  fileOf,
  freshKey,
  KEY_KINDS,
  KeyringFile,
  LegacyKeysFile,
  ringsOf,
  type KeyKind,
  type KeyRing,
} from './keyring.js';
import { replacePrivateFileSync } from './private-files.js';

/** Where the keyring file lives: CONSENTFLOW_KEYRING_FILE, else `<dataDir>/keys.json`. */
export const keyringPath = (dataDir: string, file?: string): string => file ?? join(dataDir, 'keys.json');

/** Reads a keyring file: the current v2 form, or the v1 form (bare keys; buildConfig gives them their old ids). */
export function readKeyring(file: string): Partial<Record<SecretName, Buffer | KeyRing>> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(
      `${file} is not readable JSON (${(e as Error).message}); restore it from your backup of the keys.`,
    );
  }
  const v2 = KeyringFile.safeParse(raw);
  if (v2.success) {
    const rings = ringsOf(v2.data);
    return Object.fromEntries(SECRET_NAMES.map((n) => [n, rings[kindOfSecret(n)]]));
  }
  const v1 = LegacyKeysFile.safeParse(raw);
  if (v1.success && typeof raw === 'object' && raw !== null && !('v' in raw))
    return Object.fromEntries(Object.entries(v1.data).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  const issue = v2.error.issues[0];
  throw new ConfigError(
    `${file} is not a valid keyring (${issue?.path.join('.')}: ${issue?.message}). Fix it or restore it from your backup; moving it away loses every key in it.`,
  );
}

/** Writes a keyring atomically as 0600 (a crash leaves the old or the new file, never half of one). */
export function writeKeyring(file: string, rings: Record<KeyKind, KeyRing>): void {
  replacePrivateFileSync(file, `${JSON.stringify(fileOf(rings), null, 2)}\n`);
}

/** Reads the local keyring, creating one with fresh keys when `create` is set and none exists (`dev`, demo). */
export function loadDevKeys(
  dataDir: string,
  create: boolean,
  file = keyringPath(dataDir),
): Partial<Record<SecretName, Buffer | KeyRing>> | undefined {
  if (!existsSync(file)) {
    if (!create) return undefined;
    const now = new Date();
    const rings = Object.fromEntries(
      KEY_KINDS.map((k): [KeyKind, KeyRing] => [k, { current: freshKey(k, now), previous: [] }]),
    );
    writeKeyring(file, rings as Record<KeyKind, KeyRing>);
  }
  return readKeyring(file);
}
