import type { SubjectRef } from '../../domain/ids.js';

/**
 * Every Redis key consentflow uses. Per-subject keys share the hash tag `{subjectRef}` so that a Redis Cluster
 * puts them in one slot: the guard's load is then one round trip and Lua scripts may touch them together.
 */
export function redisKeys(prefix: string) {
  const subj = (ref: SubjectRef, what: string): string => `${prefix}s:{${ref}}:${what}`;
  return {
    /** Append-only consent events: list of `<id> <json>` (a stream for subjects recorded before lists). */
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
    /** Consent epoch (counter): bumped by every write that can change the guard's answer for the subject. */
    epoch: (ref: SubjectRef) => subj(ref, 'epoch'),
    /** Sends reserved and not yet answered by the SMTP server (sorted set, member → expiry ms). */
    inflight: (ref: SubjectRef) => subj(ref, 'inflight'),
    /** Idempotency record of one send (reserve → send → commit), scoped by workflow and step. */
    sendLedger: (ref: SubjectRef, scope: string) => subj(ref, `send:${scope}`),
    /** Sorted set of the subject's recent sends on a channel, for frequency caps across campaigns. */
    frequencyWindow: (ref: SubjectRef, channel: string) => subj(ref, `cap:${channel}`),
    /** A campaign run's record (hash, field `json`), under the run's hash tag. */
    runMeta: (runId: string) => `${prefix}run:{${runId}}:meta`,
    /** A run's audience, fixed when the run starts: sorted set, all scores 0, so it pages in subjectRef order. */
    runAudience: (runId: string) => `${prefix}run:{${runId}}:audience`,
    /** A run's members waiting for another attempt (sorted set, member → due time ms). */
    runDeferred: (runId: string) => `${prefix}run:{${runId}}:deferred`,
    /** The journey workflow ids a run enrolled (set), so pause and resume reach them without Temporal visibility. */
    runJourneys: (runId: string) => `${prefix}run:{${runId}}:journeys`,
    /** Present while a person or the monitor holds the run's journeys; a journey asks it when it starts. */
    runPaused: (runId: string) => `${prefix}run:{${runId}}:paused`,
    /** A campaign's runs (sorted set, runId → start time ms). */
    campaignRuns: (campaignId: string) => `${prefix}campaign:${campaignId}:runs`,
    /** Set of all known subjectRefs, for paging segments with SSCAN. */
    subjectIndex: () => `${prefix}subjects`,
    /** Salted hash of an address → subjectRef, for suppression lookups without the raw address. */
    addressIndex: () => `${prefix}address-index`,
    /** What an SMSC message id belongs to (step, subjectRef, decision), so its delivery receipt can be logged. */
    smsMessage: (smscId: string) => `${prefix}sms:msg:${smscId}`,
    /** What an email Message-ID belongs to (step, subjectRef, decision), so a complaint about it can be matched. */
    emailMessage: (messageId: string) => `${prefix}mail:msg:${messageId}`,
    /** Present once a complaint about this Message-ID was recorded, so a repeated report is recognised as one. */
    emailComplaint: (messageId: string) => `${prefix}mail:complaint:${messageId}`,
    /** Decision log chain `n` (stream) and its head (hash: seq, hash). */
    logChain: (partition: number) => `${prefix}log:{p${partition}}:entries`,
    logHead: (partition: number) => `${prefix}log:{p${partition}}:head`,
    /** A campaign run's live counters for one time bucket, from the entries of chain `n` (hash: field → count). */
    logRunCounts: (partition: number, runId: string, bucket: number) =>
      `${prefix}log:{p${partition}}:count:${runId}:${bucket}`,
    /** Idempotency keys of chain `n` for one UTC day (hash: key → stream id), so a retried append is not doubled. */
    logIdempotency: (partition: number, day: string) => `${prefix}log:{p${partition}}:idem:${day}`,
    /** Where chain `n` was sealed into segment files and trimmed (hash: seq, hash, streamId). */
    logSealed: (partition: number) => `${prefix}log:{p${partition}}:sealed`,
    /** A deployed campaign bundle (string, canonical JSON), addressed by its SHA-256; written once, never changed. */
    bundle: (hash: string) => `${prefix}bundle:${hash}`,
    /** A policy snapshot (string, canonical JSON), addressed by its version (SHA-256); written once, never changed. */
    policySnapshot: (version: string) => `${prefix}policy:${version}`,
    /** The version of the newest deployed policy: the one the guard applies. */
    policyCurrent: () => `${prefix}policy-current`,
    /** Lock held while a sealer writes segments, so two sealers never trim the same range. */
    logSealLock: () => `${prefix}log:seal-lock`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
