import { createHmac, hkdfSync } from 'node:crypto';
import { SubjectRef } from '../../domain/ids.js';

// Domain separation: the same key derives refs and address hashes, which must never collide or be comparable.
const REF_CONTEXT = 'consentflow/subject-ref/v1\0';
const ADDRESS_CONTEXT = 'consentflow/address-hash/v1\0';

/** Returns a function mapping a subject id to its stable pseudonym `sr_` + 22 base64url chars of a keyed HMAC. */
export function createPseudonymizer(key: Buffer): (subjectId: string) => SubjectRef {
  return (subjectId) => {
    const mac = createHmac('sha256', key).update(REF_CONTEXT).update(subjectId, 'utf8').digest('base64url');
    return SubjectRef.parse(`sr_${mac.slice(0, 22)}`);
  };
}

/** Normalises an email or phone number so that cosmetic differences map to one address hash. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim().toLowerCase();
  // Phone numbers: separators people type carry no meaning; emails keep every character but case.
  if (/^\+?[\d\s().-]+$/.test(trimmed)) return trimmed.replace(/[\s().-]/g, '');
  return trimmed;
}

/** A keyed hash of a normalised address, used to find suppressions (also after erasure) without the raw address. */
export function addressHash(key: Buffer, address: string): string {
  const mac = createHmac('sha256', key)
    .update(ADDRESS_CONTEXT)
    .update(normalizeAddress(address), 'utf8')
    .digest('base64url');
  return `ah1_${mac.slice(0, 32)}`;
}

/** The key one processor is given to match our notices; per processor, so two processors' hashes never compare. */
export function processorMatchKey(pseudonymKey: Buffer, processorId: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', pseudonymKey, Buffer.alloc(0), `consentflow/processor-match/v1/${processorId}`, 32),
  );
}

/** HMAC-SHA256 (hex) of the normalised address (trimmed, lower-cased; phones without separators) under a processor's key. */
export function processorAddressHash(key: Buffer, address: string): string {
  return createHmac('sha256', key).update(normalizeAddress(address), 'utf8').digest('hex');
}
