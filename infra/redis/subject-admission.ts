import type { Redis } from 'ioredis';
import { ConsentEvent } from '../../domain/consent.js';
import type { SubjectRef } from '../../domain/ids.js';
import type { RedisKeys } from './keys.js';
import { ErasureMarker } from './erasure-marker.js';

/** Why a subject may or may not be (re)written: erased people stay out unless they consented again afterwards. */
export type Admission =
  | { readonly admit: true; readonly readmit: boolean }
  | { readonly admit: false; readonly reason: 'erased_without_new_consent' };

/** What the admission check needs about one row. */
export interface AdmissionInput {
  readonly ref: SubjectRef;
  readonly erased: ErasureMarker | undefined;
  /** Refs the row's addresses already map to in the address index. */
  readonly addressRefs: readonly SubjectRef[];
}

const positive = new Set<string>(['granted', 'reconfirmed']);

function consentedAfter(projection: Record<string, string>, at: string): boolean {
  return Object.values(projection).some((raw) => {
    let e;
    try {
      e = ConsentEvent.safeParse(JSON.parse(raw));
    } catch {
      return false; // an unreadable record proves no new consent: stay refused
    }
    return e.success && positive.has(e.data.type) && !e.data.pending && e.data.occurredAt > at;
  });
}

/**
 * Decides, for a batch, which rows may be written. An erased subject, or a new id carrying an erased subject's
 * address, is refused unless the row's subject has a positive consent event newer than the erasure (two round trips
 * at most, only for rows that touch an erasure).
 */
export async function checkAdmission(
  redis: Redis,
  keys: RedisKeys,
  rows: readonly AdmissionInput[],
): Promise<Admission[]> {
  const others = [...new Set(rows.flatMap((r) => r.addressRefs.filter((o) => o !== r.ref)))];
  const otherErased = new Map<SubjectRef, ErasureMarker | undefined>();
  if (others.length) {
    const res = await Promise.all(others.map((o) => redis.get(keys.erased(o))));
    others.forEach((o, i) => otherErased.set(o, ErasureMarker.fromRaw(res[i])));
  }
  const latestErasure = rows.map((r) => {
    const ats = [r.erased, ...r.addressRefs.map((o) => otherErased.get(o))]
      .filter((m) => m !== undefined)
      .map((m) => m.at);
    return ats.sort().at(-1);
  });
  const involved = rows.flatMap((r, i) => (latestErasure[i] ? [i] : []));
  const out: Admission[] = rows.map(() => ({ admit: true, readmit: false }));
  if (!involved.length) return out;
  const res = await Promise.all(
    involved.map((i) => redis.hgetall(keys.consentState(rows[i]!.ref)).catch(() => undefined)),
  );
  involved.forEach((i, j) => {
    const projection = res[j];
    const ok = projection !== undefined && consentedAfter(projection, latestErasure[i]!);
    out[i] = ok
      ? { admit: true, readmit: rows[i]!.erased !== undefined }
      : { admit: false, reason: 'erased_without_new_consent' };
  });
  return out;
}
