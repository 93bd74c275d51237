import type { PolicyBundle } from '../domain/policy.js';
import type { Redis } from 'ioredis';
import { keyRotationEntry } from '../domain/operator-action.js';
import { buildConfig, type Env } from './config.js';
import { secretOfKind } from './config-keys.js';
import { createServices } from './compose.js';
import { readKeyring, writeKeyring } from './dev-keys.js';
import { freshKey, KEY_KINDS, logKeyTag, retireKey, rotateRing, type KeyKind, type KeyRing } from './keyring.js';
import { DecisionLog } from './redis/decision-log.js';

/** A rotation that cannot proceed as asked; the message says what to do instead. */
export class KeyRotationError extends Error {
  override readonly name = 'KeyRotationError';
}

/** The kinds `keys rotate` switches in the keyring file (api keys are rotated by name, see cli/keys-api.ts). */
export const ROTATABLE = ['master', 'codec', 'token'] as const satisfies readonly KeyKind[];
export type Rotatable = (typeof ROTATABLE)[number];

/** Every ring in the keyring file; refuses a v1 file and secrets that the environment overrides. */
export function fileRings(env: Env, file: string, kind?: KeyKind): Record<KeyKind, KeyRing> {
  if (kind && env[`CONSENTFLOW_${kind.toUpperCase()}_KEY` as keyof Env] !== undefined) {
    throw new KeyRotationError(
      `CONSENTFLOW_${kind.toUpperCase()}_KEY is set in the environment, so the keyring file does not decide this key. Rotate it where the environment is managed: put the new key in CONSENTFLOW_${kind.toUpperCase()}_KEY (with CONSENTFLOW_${kind.toUpperCase()}_KEY_ID) and add the old one to CONSENTFLOW_${kind.toUpperCase()}_PREVIOUS_KEYS=id:key.`,
    );
  }
  const read = readKeyring(file);
  const rings = Object.fromEntries(KEY_KINDS.map((k) => [k, read[secretOfKind(k)]]));
  if (Object.values(rings).some((r) => r === undefined || Buffer.isBuffer(r))) {
    throw new KeyRotationError(
      `${file} is a keyring without key ids (written by an older version); run \`consentflow keys upgrade\` first.`,
    );
  }
  return rings as Record<KeyKind, KeyRing>;
}

/** Makes a fresh key current for `kind`, keeps the old one as previous, and records the action in the log. */
export async function rotateKey(o: {
  env: Env;
  file: string;
  kind: Rotatable;
  actor: string;
  redis: Redis;
  now: Date;
}): Promise<{ from: string; to: string }> {
  const rings = fileRings(o.env, o.file, o.kind);
  const before = rings[o.kind];
  const next = rotateRing(before, freshKey(o.kind, o.now));
  writeKeyring(o.file, { ...rings, [o.kind]: next });
  await recordRotation(o, before.current.id, next.current.id);
  return { from: before.current.id, to: next.current.id };
}

/** What `keys rotate log` did: the new key id, the keys the chains were under, and how many chains it handed over. */
export interface LogKeyRotation {
  readonly from: string[];
  readonly to: string;
  readonly handedOver: number;
  readonly partitions: number;
  /** True when it finished an interrupted rotation (or one made in the environment) instead of starting one. */
  readonly resumed: boolean;
}

/**
 * Rotates the decision-log key. The new ring is written first, then every chain records a signed handover to it,
 * so a crash in between leaves writers refused (fail closed) until running this again finishes the handover. A
 * key set in the environment is rotated there; this then records the handover.
 */
export async function rotateLogKey(o: {
  env: Env;
  file: string;
  actor: string;
  redis: Redis;
  now: Date;
}): Promise<LogKeyRotation> {
  const before = buildConfig(o.env, readKeyring(o.file));
  const current = logKeyTag(before.secrets.rings.log.current.key);
  // Also gives heads written before heads carried a key id one, before any process can hold the new key.
  const behind = (await DecisionLog.fromConfig(before, o.redis).chainKeyIds()).some(
    (id) => id !== null && id !== current,
  );
  if (!behind) {
    if (o.env.CONSENTFLOW_LOG_KEY !== undefined) {
      throw new KeyRotationError(
        'CONSENTFLOW_LOG_KEY is set in the environment and every chain is already under it. Rotate it where the environment is managed: put the new key in CONSENTFLOW_LOG_KEY (with CONSENTFLOW_LOG_KEY_ID), add the old one to CONSENTFLOW_LOG_PREVIOUS_KEYS=id:key, then run `consentflow keys rotate log` again to record the handover.',
      );
    }
    const rings = fileRings(o.env, o.file, 'log');
    writeKeyring(o.file, { ...rings, log: rotateRing(rings.log, freshKey('log', o.now)) });
  }
  const r = await DecisionLog.fromConfig(buildConfig(o.env, readKeyring(o.file)), o.redis).handOver(o.actor);
  return { ...r, resumed: behind };
}

/** Appends the rotation to the decision log under the log key in force. */
export async function recordRotation(
  o: { env: Env; file: string; kind: string; actor: string; redis: Redis; now: Date },
  from: string,
  to: string,
  detail?: string,
): Promise<void> {
  const config = buildConfig(o.env, readKeyring(o.file));
  await DecisionLog.fromConfig(config, o.redis).append(
    keyRotationEntry({ kind: o.kind, fromKeyId: from, toKeyId: to, actor: o.actor, at: o.now, detail }),
  );
}

/** Re-wraps every subject's data key under the current master key; resumable (already current keys are skipped). */
export async function rewrapAll(o: {
  env: Env;
  file: string;
  redis: Redis;
  policy: PolicyBundle;
  onProgress?: (done: number, rewrapped: number) => void;
}): Promise<{ scanned: number; rewrapped: number }> {
  const { subjects } = createServices(buildConfig(o.env, readKeyring(o.file)), o.redis, o.policy);
  let cursor = '0';
  let scanned = 0;
  let rewrapped = 0;
  do {
    const page = await subjects.pageSubjects(cursor, 500);
    cursor = page.cursor;
    for (const ref of page.refs) if ((await subjects.rewrapDataKey(ref)) === 'rewrapped') rewrapped++;
    scanned += page.refs.length;
    o.onProgress?.(scanned, rewrapped);
  } while (cursor !== '0');
  return { scanned, rewrapped };
}

/** Drops a previous key; for the master key only once no data key is wrapped under it any more. */
export async function retire(o: {
  env: Env;
  file: string;
  kind: Rotatable;
  keyId: string;
  redis: Redis;
  policy: PolicyBundle;
}): Promise<void> {
  const rings = fileRings(o.env, o.file, o.kind);
  const ring = rings[o.kind];
  if (ring.current.id === o.keyId)
    throw new KeyRotationError(`${o.keyId} is the current ${o.kind} key; rotate first, then retire the old one.`);
  if (!ring.previous.some((k) => k.id === o.keyId))
    throw new KeyRotationError(`${o.kind} has no previous key ${o.keyId}; see \`consentflow keys show\`.`);
  if (o.kind === 'master') {
    const { rewrapped } = await rewrapAll({ env: o.env, file: o.file, redis: o.redis, policy: o.policy });
    if (rewrapped > 0)
      throw new KeyRotationError(
        `${rewrapped} data keys were still wrapped under an old master key; they are re-wrapped now. Run \`consentflow keys retire master ${o.keyId}\` again.`,
      );
  }
  writeKeyring(o.file, { ...rings, [o.kind]: retireKey(ring, o.keyId) });
}
