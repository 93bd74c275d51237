import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** The secrets consentflow holds, by the name `keys rotate` takes. */
export const KeyKind = {
  master: 'master',
  codec: 'codec',
  token: 'token',
  log: 'log',
  pseudonym: 'pseudonym',
} as const;
export type KeyKind = (typeof KeyKind)[keyof typeof KeyKind];
export const KEY_KINDS = Object.values(KeyKind);

/** One version of a secret. */
export interface VersionedKey {
  readonly id: string;
  readonly key: Buffer;
  /** When this version was made current (ISO), if known; the review reports key age from it. */
  readonly createdAt?: string;
}

/** A secret's current version (used for everything new) and the versions it replaced (still accepted on read). */
export interface KeyRing {
  readonly current: VersionedKey;
  readonly previous: readonly VersionedKey[];
}

/** A key id: short, printable, safe in headers, metadata and file names. */
export const KeyId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a key id is 1-64 of A-Z a-z 0-9 . _ -');

/** A fingerprint id for a key given without one, so the same key always gets the same id. */
export const fingerprintId = (kind: KeyKind, key: Buffer): string =>
  `${kind}-${createHash('sha256').update(`consentflow/${kind}-key-id\0`).update(key).digest('hex').slice(0, 10)}`;

const Base64Key = z.string().regex(/^[A-Za-z0-9+/=]{44,}$/, 'a key is 32+ bytes in base64 (openssl rand -base64 32)');
const StoredKey = z.strictObject({ id: KeyId, key: Base64Key, createdAt: z.iso.datetime().optional() });
const StoredRing = z.strictObject({ current: StoredKey, previous: z.array(StoredKey).default([]) });

/** The keyring file (`<dataDir>/keys.json` or CONSENTFLOW_KEYRING_FILE): every ring, base64 keys. */
export const KeyringFile = z.strictObject({
  v: z.literal(2),
  rings: z.strictObject(
    Object.fromEntries(KEY_KINDS.map((k) => [k, StoredRing])) as Record<KeyKind, typeof StoredRing>,
  ),
});
export type KeyringFile = z.infer<typeof KeyringFile>;

/** The v1 file `dev` wrote before key ids: one base64 key per secret name. */
export const LegacyKeysFile = z.record(z.string(), Base64Key);

const toRing = (r: z.infer<typeof StoredRing>): KeyRing => {
  const one = (k: z.infer<typeof StoredKey>): VersionedKey => ({
    id: k.id,
    key: Buffer.from(k.key, 'base64'),
    ...(k.createdAt ? { createdAt: k.createdAt } : {}),
  });
  return { current: one(r.current), previous: r.previous.map(one) };
};
const fromRing = (r: KeyRing): z.infer<typeof StoredRing> => {
  const one = (k: VersionedKey) => ({
    id: k.id,
    key: k.key.toString('base64'),
    ...(k.createdAt ? { createdAt: k.createdAt } : {}),
  });
  return { current: one(r.current), previous: r.previous.map(one) };
};

/** Every ring of a parsed keyring file. */
export const ringsOf = (f: KeyringFile): Record<KeyKind, KeyRing> =>
  Object.fromEntries(KEY_KINDS.map((k) => [k, toRing(f.rings[k])])) as Record<KeyKind, KeyRing>;

/** The file form of a set of rings. */
export const fileOf = (rings: Record<KeyKind, KeyRing>): KeyringFile => ({
  v: 2,
  rings: Object.fromEntries(KEY_KINDS.map((k) => [k, fromRing(rings[k])])) as KeyringFile['rings'],
});

/**
 * The log key's fingerprint as chain heads record it. Derived from the key, not its configured id, so processes
 * that name the same key differently (environment, keyring file) still agree on which key a chain is under.
 */
export const logKeyTag = (key: Buffer): string => fingerprintId('log', key);

/** A fresh random version of a secret, current from `at`. */
export function freshKey(kind: KeyKind, at: Date): VersionedKey {
  const key = randomBytes(32);
  return {
    id: `${kind}-${at.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`,
    key,
    createdAt: at.toISOString(),
  };
}

/** The ring after a rotation: a new current version, the old one first among the previous. */
export function rotateRing(ring: KeyRing, next: VersionedKey): KeyRing {
  return { current: next, previous: [ring.current, ...ring.previous] };
}

/** A ring without `id` among its previous versions (what `keys retire` leaves once nothing needs the old key). */
export function retireKey(ring: KeyRing, id: string): KeyRing {
  return { current: ring.current, previous: ring.previous.filter((k) => k.id !== id) };
}

/** What the review reports per key: id, age in days and when it last rotated (a key with no previous never did). */
export function keyStatus(
  rings: Readonly<Record<KeyKind, KeyRing>>,
  now: Date,
): { key: string; id: string; ageDays: number | null; lastRotatedAt: string | null; previous: number }[] {
  return KEY_KINDS.map((k) => {
    const c = rings[k].current;
    const since = c.createdAt ? Date.parse(c.createdAt) : undefined;
    return {
      key: k,
      id: c.id,
      ageDays: since === undefined ? null : Math.floor((now.getTime() - since) / 86_400_000),
      lastRotatedAt: rings[k].previous.length > 0 && c.createdAt ? c.createdAt : null,
      previous: rings[k].previous.length,
    };
  });
}

/** Parses `id:base64,id:base64` (CONSENTFLOW_*_PREVIOUS_KEYS) into versions; the env schema has checked the shape. */
export function parsePreviousKeys(value: string | undefined): VersionedKey[] {
  return (value ?? '')
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const at = part.indexOf(':');
      return { id: part.slice(0, at), key: Buffer.from(part.slice(at + 1), 'base64') };
    });
}
