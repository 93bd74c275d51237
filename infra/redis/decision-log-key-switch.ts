import { decodeEntry } from '../../domain/decision-log-canonical.js';
import { LOG_KEY_ROTATION_STEP, logKeyHandoverOf } from '../../domain/log-key-rotation.js';
import type { KeyRing, VersionedKey } from '../keyring.js';
import { entryHash, handoverMac, keyCommitment, macEquals } from './decision-log-mac.js';
import type { ChainRecord } from './decision-log-read.js';

/** What a verified entry means for the chain's key: nothing, a switch to the next key, or a break. */
export type KeySwitch =
  | { type: 'none' }
  | { type: 'switch'; key: VersionedKey }
  | { type: 'break'; kind: 'forged' | 'unknown_key'; detail: string };

const MARK = `"${LOG_KEY_ROTATION_STEP}"`;

/** The ring key that MACs `rec`, so a chain (or a sealed remainder of one) starts under the key it was written with. */
export function keyOfFirst(ring: KeyRing, rec: ChainRecord): VersionedKey {
  return otherKeyOf(ring, rec, null) ?? ring.current;
}

/** The ring key other than `except` that MACs `rec`: an authentic entry out of its key's place. Checked only on a failed MAC. */
export function otherKeyOf(ring: KeyRing, rec: ChainRecord, except: VersionedKey | null): VersionedKey | undefined {
  return [ring.current, ...ring.previous].find(
    (k) => k.id !== except?.id && entryHash(k.key, rec.canonical) === rec.hash,
  );
}

/**
 * Checks an entry that verified under `inForce` for a log-key handover. Only the content the old key's MAC covers
 * decides that an entry is one, so stripping the new key's MAC or the marker cannot hide a switch.
 */
export function keySwitch(ring: KeyRing, inForce: VersionedKey, rec: ChainRecord, seq: number): KeySwitch {
  // A cheap substring test first: verify reads millions of entries and only handovers need a full parse.
  if (!rec.canonical.includes(MARK)) return { type: 'none' };
  const decoded = decodeEntry(rec.canonical.toString(), rec.hash);
  const h = decoded.ok ? logKeyHandoverOf(decoded.entry) : null;
  if (!h) return { type: 'none' };
  // The old key's MAC already proved who made it; the new key is found by its commitment, not by its configured id,
  // which another process may name differently.
  const next = [ring.current, ...ring.previous].find(
    (k) => !k.key.equals(inForce.key) && keyCommitment(k.key) === h.commitment,
  );
  if (!next)
    return {
      type: 'break',
      kind: 'unknown_key',
      detail: `entries after seq ${seq} are under log key ${h.toKeyId}, which this keyring does not hold; verify with the current keyring`,
    };
  if (!rec.handover || !macEquals(rec.handover, handoverMac(next.key, rec.canonical))) {
    return {
      type: 'break',
      kind: 'forged',
      detail: `the log key rotation at seq ${seq} is not signed by the new key ${h.toKeyId}`,
    };
  }
  return { type: 'switch', key: next };
}
