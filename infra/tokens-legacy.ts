import { createHmac, timingSafeEqual } from 'node:crypto';
import type { VersionedKey } from './keyring.js';

/** The v1 link format (base64url JSON claims, a dot, an HMAC): readable, so no longer issued. */
export const LEGACY_TOKEN = /^[A-Za-z0-9_-]{16,1500}\.[A-Za-z0-9_-]{43}$/;

const mac = (key: Buffer, body: string): string =>
  createHmac('sha256', key).update(`cf-link-v1.${body}`).digest('base64url');

/**
 * The claims of a v1 link signed under any of `keys`, or undefined. Kept so the unsubscribe links already mailed
 * (valid 400 days) keep working until they expire; the format carries no key id, so every version is tried.
 */
export function openLegacyToken(token: string, keys: readonly VersionedKey[]): unknown {
  const [body, sig] = token.split('.') as [string, string];
  const given = Buffer.from(sig);
  for (const k of keys) {
    const expected = Buffer.from(mac(k.key, body));
    if (expected.length === given.length && timingSafeEqual(expected, given)) {
      try {
        return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Signs a v1 token; only tests use it, to show that links mailed before the switch still work. */
export function signLegacyToken(claims: object, key: Buffer): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${mac(key, body)}`;
}
