// The log's options live apart from the DecisionLog class, so that its query, seal and verify modules can take
// them without importing the class that imports them.
import type { Redis } from 'ioredis';
import { fingerprintId, type KeyRing, type VersionedKey } from '../keyring.js';
import { redisKeys } from './keys.js';

/** Dependencies and tunables of a DecisionLog; defaults live in `decisionLogOptions`. */
export interface DecisionLogDeps {
  readonly redis: Redis;
  readonly keyPrefix: string;
  readonly logKey: Buffer;
  /** The current log key's id, named in rotation entries. */
  readonly logKeyId?: string;
  /** Log keys the current one replaced: verify checks entries from before each handover under them. */
  readonly previousLogKeys?: readonly VersionedKey[];
  readonly partitions: number;
  /** Sealed segments, the manifest and the verify witness live under `<dataDir>/log-segments/`. */
  readonly dataDir: string;
  /** Upper bound for one append, retries included; past it the caller gets DecisionLogUnavailableError. */
  readonly timeoutMs?: number;
  /** Compare-and-set attempts per partition before giving up. */
  readonly maxAttempts?: number;
  /** Entries per Lua call; larger batches are split so one call never blocks Redis for long. */
  readonly maxScriptBatch?: number;
  readonly now?: () => Date;
}

/** The resolved options: the one place defaults are set. */
export function decisionLogOptions(d: DecisionLogDeps) {
  const logRing: KeyRing = {
    current: { id: d.logKeyId ?? fingerprintId('log', d.logKey), key: d.logKey },
    previous: d.previousLogKeys ?? [],
  };
  return {
    timeoutMs: 2_000,
    maxAttempts: 50,
    maxScriptBatch: 500,
    now: () => new Date(),
    ...d,
    keys: redisKeys(d.keyPrefix),
    logRing,
  };
}
export type DecisionLogOptions = ReturnType<typeof decisionLogOptions>;
