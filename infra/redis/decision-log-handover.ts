import { ulid } from 'ulid';
import { z } from 'zod';
import { GENESIS_HASH, LogEntryInput } from '../../domain/decision-log.js';
import { canonicalEntry, type UnhashedEntry } from '../../domain/decision-log-canonical.js';
import { logKeyRotationEntry } from '../../domain/log-key-rotation.js';
import { logKeyTag, type VersionedKey } from '../keyring.js';
import type { DecisionLogOptions } from './decision-log-options.js';
import { DecisionLogUnavailableError } from './decision-log-errors.js';
import { logScripts } from './decision-log-lua.js';
import { entryHash, handoverMac, headMac, keyCommitment, macEquals } from './decision-log-mac.js';
import { CLOCK_SKEW_MS, HeadSeqHash } from './decision-log-read.js';
import { withSealLock } from './decision-log-seal.js';
import { resignUnderCurrent } from './decision-log-segments.js';

/** A log-key handover that cannot proceed; the message says why and what to do. */
export class LogHandoverError extends Error {
  override readonly name = 'LogHandoverError';
}

/** What a handover did: the key every chain is under now, and how many chains it moved from which keys. */
export interface HandoverResult {
  readonly to: string;
  readonly from: string[];
  readonly handedOver: number;
  readonly partitions: number;
}

const HeadReply = z.tuple([...HeadSeqHash, z.string().nullable(), z.string().nullable()]);
type Head = { seq: number; hash: string; mac: string | null; kid: string | null };

async function readHead(o: DecisionLogOptions, p: number): Promise<Head | null> {
  const [seq, hash, mac, kid] = HeadReply.parse(await o.redis.hmget(o.keys.logHead(p), 'seq', 'hash', 'mac', 'kid'));
  return seq === null || hash === null ? null : { seq: Number(seq), hash, mac, kid };
}

// Heads written before heads carried a key id: the key whose head MAC checks is the one the chain is under.
function keyOfHead(o: DecisionLogOptions, p: number, h: Head): VersionedKey {
  const ring = [o.logRing.current, ...o.logRing.previous];
  const k =
    h.kid !== null
      ? ring.find((x) => logKeyTag(x.key) === h.kid)
      : ring.find((x) => h.mac !== null && macEquals(h.mac, headMac(x.key, p, h.seq, h.hash)));
  if (!k)
    throw new LogHandoverError(
      h.kid !== null
        ? `decision log chain ${p} is under log key ${h.kid} (fingerprint), which this keyring does not hold; use the current keyring`
        : `decision log chain ${p}'s head verifies under no log key; run \`consentflow log verify\` first`,
    );
  return k;
}

const STAMP = `if redis.call('HGET', KEYS[1], 'seq') == ARGV[1] and redis.call('HGET', KEYS[1], 'hash') == ARGV[2] and not redis.call('HGET', KEYS[1], 'kid') then redis.call('HSET', KEYS[1], 'kid', ARGV[3]) return 1 end return 0`;

/**
 * The fingerprint of the key each chain is under (null for an empty chain). Heads without one get it, so that from
 * then on a writer holding another key is refused rather than appending what verify would reject.
 */
export async function chainKeyIds(o: DecisionLogOptions): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (let p = 0; p < o.partitions; p++) {
    for (;;) {
      const h = await readHead(o, p);
      if (!h || h.kid !== null) {
        out.push(h?.kid ?? null);
        break;
      }
      const id = logKeyTag(keyOfHead(o, p, h).key);
      if ((await o.redis.eval(STAMP, 1, o.keys.logHead(p), String(h.seq), h.hash, id)) === 1) {
        out.push(id);
        break;
      }
    }
  }
  return out;
}

/** Appends one chain's rotation entry, chained to its head; null when the chain is already under the current key. */
async function handOverChain(o: DecisionLogOptions, p: number, actor: string): Promise<string | null> {
  const to = o.logRing.current;
  for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
    const h = await readHead(o, p);
    const toTag = logKeyTag(to.key);
    if (h?.kid === toTag) return null;
    // An empty chain starts with the handover, under the key being replaced.
    const from = h ? keyOfHead(o, p, h) : o.logRing.previous[0];
    if (!from || from.id === to.id) return null;
    const at = o.now();
    const input = LogEntryInput.parse(
      logKeyRotationEntry({ fromKeyId: from.id, toKeyId: to.id, commitment: keyCommitment(to.key), actor }, at),
    );
    const entry: UnhashedEntry = {
      ...input,
      id: ulid(at.getTime()),
      at: at.toISOString(),
      seq: (h?.seq ?? 0) + 1,
      partition: p,
      prevHash: h?.hash ?? GENESIS_HASH,
    };
    const canonical = canonicalEntry(entry);
    const hash = entryHash(from.key, canonical);
    const args = [
      String(h?.seq ?? 0),
      h?.hash ?? GENESIS_HASH,
      h?.kid ?? '',
      canonical,
      hash,
      handoverMac(to.key, canonical),
      headMac(to.key, p, entry.seq, hash),
      toTag,
      String(at.getTime()),
      String(CLOCK_SKEW_MS),
    ];
    const res = await logScripts(o.redis).cfLogHandover(o.keys.logChain(p), o.keys.logHead(p), ...args);
    if (res[0] === 1) return from.id;
    if (res[0] === 2)
      throw new DecisionLogUnavailableError(
        'clock_skew',
        `this host's clock differs from Redis's (${new Date(Number(res[1])).toISOString()}) by more than ${CLOCK_SKEW_MS / 60_000} minutes; fix it (NTP) and rotate again`,
      );
  }
  throw new DecisionLogUnavailableError(
    'conflict',
    `decision log chain ${p}: the head kept moving during the log key handover; run \`consentflow keys rotate log\` again`,
  );
}

/**
 * Hands every chain over to the ring's current key: each gets a rotation entry MACed under the key it was under
 * (covering the new key id and a commitment to the new key) and under the new key, then the sealed-segment manifest
 * and the verify witness are re-signed. Idempotent: chains already under the current key are left alone, so an
 * interrupted run is finished by running it again.
 */
export async function handOverAll(o: DecisionLogOptions, actor: string): Promise<HandoverResult> {
  const from = new Set<string>();
  let handedOver = 0;
  for (let p = 0; p < o.partitions; p++) {
    const id = await handOverChain(o, p, actor);
    if (id === null) continue;
    from.add(id);
    handedOver++;
  }
  await withSealLock(o, () => resignUnderCurrent(o.dataDir, o.logRing));
  return { to: o.logRing.current.id, from: [...from], handedOver, partitions: o.partitions };
}
