import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto';

// HMAC-SHA256 (RFC 2104) as two one-shot hashes over pads computed once per key: the log MACs every entry, and a
// createHmac per entry costs half as much again as the two hashes it stands for.
const BLOCK = 64;
const DIGEST = 32;

interface Pads {
  /** The key XOR 0x36, padded to a block: the inner hash's first block. */
  readonly inner: Buffer;
  /** The key XOR 0x5c, padded to a block, then room for the inner digest: the outer hash's whole input. */
  readonly outer: Buffer;
}

const padsByKey = new WeakMap<Buffer, Pads>();

function padsOf(key: Buffer): Pads {
  let p = padsByKey.get(key);
  if (p) return p;
  // A key longer than a block is hashed first, as HMAC defines.
  const k = key.length > BLOCK ? createHash('sha256').update(key).digest() : key;
  const inner = Buffer.alloc(BLOCK, 0x36);
  const outer = Buffer.alloc(BLOCK + DIGEST, 0x5c);
  for (let i = 0; i < k.length; i++) {
    inner[i]! ^= k[i]!;
    outer[i]! ^= k[i]!;
  }
  p = { inner, outer };
  padsByKey.set(key, p);
  return p;
}

// The inner hash's input (pad, then the text as UTF-8), reused by every call: nothing here awaits, so no two calls
// share it at once.
let scratch = Buffer.alloc(4096);

function innerInput(inner: Buffer, text: string | Buffer): Buffer {
  // A UTF-16 unit never takes more than 3 bytes of UTF-8, so a string of n units always fits in 3n.
  const room = BLOCK + (typeof text === 'string' ? 3 * text.length : text.length);
  if (scratch.length < room) scratch = Buffer.alloc(Math.max(room, 2 * scratch.length));
  inner.copy(scratch, 0);
  const n = typeof text === 'string' ? scratch.write(text, BLOCK, 'utf8') : text.copy(scratch, BLOCK);
  return scratch.subarray(0, BLOCK + n);
}

/** HMAC-SHA256 of `text` (a string as UTF-8) under the log key, lowercase hex; the same as createHmac's. */
export function logMac(key: Buffer, text: string | Buffer): string {
  const { inner, outer } = padsOf(key);
  hash('sha256', innerInput(inner, text), 'buffer').copy(outer, BLOCK);
  return hash('sha256', outer, 'hex');
}

/**
 * The hash of an entry: HMAC over its canonical form. `prevHash` is one of the canonical columns, so the MAC
 * covers the previous hash and the entry together, which is what makes the chain.
 */
export const entryHash = (key: Buffer, canonical: string | Buffer): string => logMac(key, canonical);

/** MAC over a chain head, so someone without the key cannot move a head back to hide a truncation. */
export const headMac = (key: Buffer, partition: number, seq: number, hash: string): string =>
  logMac(key, `head|${partition}|${seq}|${hash}`);

/** Constant-time comparison of two hex MACs. */
export function macEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Commitment to a log key (hex SHA-256, domain-separated): recorded under the old key at a handover. */
export const keyCommitment = (key: Buffer): string =>
  createHash('sha256').update('consentflow/log-key-commitment\0').update(key).digest('hex');

/** The new key's MAC over a handover entry: proves the holder of the new key took over the chain at that entry. */
export const handoverMac = (newKey: Buffer, canonical: string | Buffer): string =>
  createHmac('sha256', newKey).update('handover|').update(canonical).digest('hex');
