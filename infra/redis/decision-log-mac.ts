import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 of `text` under the log key, lowercase hex. */
export function logMac(key: Buffer, text: string | Buffer): string {
  return createHmac('sha256', key).update(text).digest('hex');
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
