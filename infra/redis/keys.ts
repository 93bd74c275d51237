import type { SubjectRef } from '../../domain/ids.js';

/**
 * Every Redis key consentflow uses. Per-subject keys share the hash tag `{subjectRef}` so that a Redis Cluster
 * puts them in one slot: the guard's load is then one round trip and Lua scripts may touch them together.
 */
export function redisKeys(prefix: string) {
  const subj = (ref: SubjectRef, what: string): string => `${prefix}s:{${ref}}:${what}`;
  return {
    /** Append-only consent events (stream). */
    consentEvents: (ref: SubjectRef) => subj(ref, 'consent:events'),
    /** Projection of the consent events: hash of `purpose|channel` → latest event JSON. */
    consentState: (ref: SubjectRef) => subj(ref, 'consent:state'),
    /** Global suppressions for the subject: hash of kind → JSON record. */
    suppression: (ref: SubjectRef) => subj(ref, 'suppression'),
    /** Encrypted profile: hash of field → ciphertext. */
    profile: (ref: SubjectRef) => subj(ref, 'profile'),
    /** The subject's data key, wrapped by the master key. Deleting it crypto-shreds the profile. */
    dataKey: (ref: SubjectRef) => subj(ref, 'dek'),
    /** Erasure tombstone: present once the subject was erased. */
    erased: (ref: SubjectRef) => subj(ref, 'erased'),
    /** Set of the subject's address hashes; kept after erasure so the addresses stay suppressed. */
    addressHashes: (ref: SubjectRef) => subj(ref, 'address-hashes'),
    /** Subject-level flags such as personalisation=off (hash). */
    flags: (ref: SubjectRef) => subj(ref, 'flags'),
    /** Idempotency record of one send (reserve → send → commit), scoped by workflow and step. */
    sendLedger: (ref: SubjectRef, scope: string) => subj(ref, `send:${scope}`),
    /** Sorted set of the subject's recent sends on a channel, for frequency caps across campaigns. */
    frequencyWindow: (ref: SubjectRef, channel: string) => subj(ref, `cap:${channel}`),
    /** Outcome counters of a campaign (hash). */
    campaignStats: (campaignId: string) => `${prefix}campaign:${campaignId}:stats`,
    /** Set of all known subjectRefs, for paging segments with SSCAN. */
    subjectIndex: () => `${prefix}subjects`,
    /** Salted hash of an address → subjectRef, for suppression lookups without the raw address. */
    addressIndex: () => `${prefix}address-index`,
    /** Decision log chain `n` (stream) and its head (hash: seq, hash). */
    logChain: (partition: number) => `${prefix}log:{p${partition}}:entries`,
    logHead: (partition: number) => `${prefix}log:{p${partition}}:head`,
    /** Where chain `n` was sealed into segment files and trimmed (hash: seq, hash, streamId). */
    logSealed: (partition: number) => `${prefix}log:{p${partition}}:sealed`,
    /** Lock held while a sealer writes segments, so two sealers never trim the same range. */
    logSealLock: () => `${prefix}log:seal-lock`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
