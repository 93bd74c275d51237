import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { SubjectRef } from '../../domain/ids.js';

/** A ciphertext or wrapped key that fails to decrypt: wrong key, wrong subject/field binding, or tampering. */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}

/** A wrapped data key names a master key that is not configured (neither current nor previous). */
export class UnknownMasterKeyError extends Error {
  override readonly name = 'UnknownMasterKeyError';
}

/** The master keys: `current` wraps new data keys; `previous` keys can still unwrap until everything is rewrapped. */
export interface MasterKeyring {
  readonly current: Buffer;
  readonly previous?: readonly Buffer[];
}

interface KekEntry {
  readonly id: string;
  readonly kek: Buffer;
}

const WRAP_VERSION = 'w1';
const FIELD_VERSION = 'f1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The id of a master key: a short fingerprint, so rotation needs no extra configuration to name keys. */
export function masterKeyId(masterKey: Buffer): string {
  return `mk${createHash('sha256').update('consentflow/master-key-id\0').update(masterKey).digest('hex').slice(0, 12)}`;
}

// Small random reads are syscall-bound; drawing IVs and keys from a CSPRNG pool keeps bulk imports CPU-cheap.
// Each slice is handed out once and the pool is replaced, never rewritten, so no two callers share bytes.
let pool = Buffer.alloc(0);
let poolAt = 0;
function random(n: number): Buffer {
  if (poolAt + n > pool.length) {
    pool = randomBytes(Math.max(8192, n));
    poolAt = 0;
  }
  const out = pool.subarray(poolAt, poolAt + n);
  poolAt += n;
  return out;
}

function kekEntry(masterKey: Buffer): KekEntry {
  // HKDF pins the wrapping key to 32 bytes whatever the configured master key length is.
  const kek = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'consentflow/dek-wrap/v1', 32));
  return { id: masterKeyId(masterKey), kek };
}

function seal(key: Buffer, plaintext: Buffer, aad: string): { iv: Buffer; body: Buffer } {
  const iv = random(IV_BYTES);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  return { iv, body };
}

function open(key: Buffer, iv: Buffer, body: Buffer, aad: string, what: string): Buffer {
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new DecryptionError(`${what} is malformed`);
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([d.update(body.subarray(0, body.length - TAG_BYTES)), d.final()]);
  } catch {
    throw new DecryptionError(`${what} failed authentication (wrong key, wrong binding, or tampered)`);
  }
}

/** The result of unwrapping: the data key plus whether it was wrapped by an old master key and needs rewrapping. */
export interface UnwrappedKey {
  readonly dek: Buffer;
  readonly keyId: string;
  readonly stale: boolean;
}

/** Envelope encryption: per-subject data keys wrapped by the master key, bound to the subject they belong to. */
export interface Envelope {
  /** The id of the master key that wraps new data keys. */
  readonly currentKeyId: string;
  /** A fresh random 256-bit data key. */
  newDataKey(): Buffer;
  /** Wraps a data key under the current master key, bound to `ref` so it cannot be moved to another subject. */
  wrap(dek: Buffer, ref: SubjectRef): string;
  /** Unwraps with whichever configured master key wrapped it. */
  unwrap(wrapped: string, ref: SubjectRef): UnwrappedKey;
  /** Re-wraps under the current master key (master-key rotation); returns the input when already current. */
  rewrap(wrapped: string, ref: SubjectRef): string;
}

/** Builds the envelope for a keyring. */
export function createEnvelope(ring: MasterKeyring): Envelope {
  const current = kekEntry(ring.current);
  const byId = new Map<string, KekEntry>([current, ...(ring.previous ?? []).map(kekEntry)].map((e) => [e.id, e]));
  const aad = (kid: string, ref: SubjectRef) => `${WRAP_VERSION}|${kid}|${ref}`;
  const unwrap = (wrapped: string, ref: SubjectRef): UnwrappedKey => {
    const [version, kid, iv, body] = wrapped.split('.');
    if (version !== WRAP_VERSION || !kid || iv === undefined || body === undefined)
      throw new DecryptionError('wrapped data key is malformed');
    const entry = byId.get(kid);
    if (!entry)
      throw new UnknownMasterKeyError(
        `data key was wrapped by master key ${kid}, which is not configured; add it to the previous master keys`,
      );
    const dek = open(
      entry.kek,
      Buffer.from(iv, 'base64url'),
      Buffer.from(body, 'base64url'),
      aad(kid, ref),
      'wrapped data key',
    );
    return { dek, keyId: kid, stale: kid !== current.id };
  };
  const wrap = (dek: Buffer, ref: SubjectRef): string => {
    const { iv, body } = seal(current.kek, dek, aad(current.id, ref));
    return [WRAP_VERSION, current.id, iv.toString('base64url'), body.toString('base64url')].join('.');
  };
  return {
    currentKeyId: current.id,
    newDataKey: () => Buffer.from(random(32)),
    wrap,
    unwrap,
    rewrap: (wrapped, ref) => {
      const u = unwrap(wrapped, ref);
      return u.stale ? wrap(u.dek, ref) : wrapped;
    },
  };
}

// Field ciphertexts are bound to subject + field, so swapping values between fields or subjects fails to decrypt.
const fieldAad = (ref: SubjectRef, field: string) => `${FIELD_VERSION}|${ref}|${field}`;

/** Encrypts one profile field value under the subject's data key. */
export function encryptField(dek: Buffer, ref: SubjectRef, field: string, value: string): string {
  const { iv, body } = seal(dek, Buffer.from(value, 'utf8'), fieldAad(ref, field));
  return `${FIELD_VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** Decrypts one profile field value; throws DecryptionError when the binding or key does not match. */
export function decryptField(dek: Buffer, ref: SubjectRef, field: string, ciphertext: string): string {
  const [version, iv, body] = ciphertext.split('.');
  if (version !== FIELD_VERSION || iv === undefined || body === undefined)
    throw new DecryptionError(`field ${field} ciphertext is malformed`);
  return open(
    dek,
    Buffer.from(iv, 'base64url'),
    Buffer.from(body, 'base64url'),
    fieldAad(ref, field),
    `field ${field}`,
  ).toString('utf8');
}
