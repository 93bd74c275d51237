import { logKeyTag, type KeyRing } from '../keyring.js';

/** Why an append did not reach the log; every case means the caller must not send. */
export const LogUnavailableReason = {
  timeout: 'timeout',
  conflict: 'conflict',
  redis: 'redis',
  clockSkew: 'clock_skew',
  keyRotated: 'key_rotated',
} as const;
export type LogUnavailableReason = (typeof LogUnavailableReason)[keyof typeof LogUnavailableReason];

/**
 * The decision log could not durably record an entry (Redis down, timeout, a writer clock far off Redis's, or the chain head kept moving).
 * Fail closed: whoever asked must send nothing. Some entries of a batch may still have been written; an entry
 * without a send is harmless, a send without an entry is not.
 */
export class DecisionLogUnavailableError extends Error {
  override readonly name = 'DecisionLogUnavailableError';
  constructor(
    readonly reason: LogUnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A chain is under another log key than the writer's: either the key was rotated and this process still holds the
 * old ring, or the ring was rotated and the handover entries are not written yet. Appending would break the chain.
 */
export function keyRotatedError(ring: KeyRing, partition: number, chainKeyTag: string): DecisionLogUnavailableError {
  const older = ring.previous.find((k) => logKeyTag(k.key) === chainKeyTag);
  const fix = older
    ? `the rotation to ${ring.current.id} is not recorded there yet; run \`consentflow keys rotate log\` to finish it`
    : `this process holds log key ${ring.current.id}, so the log key was rotated since it started; restart it with the current keyring`;
  return new DecisionLogUnavailableError(
    'key_rotated',
    `decision log chain ${partition} is under log key ${older?.id ?? chainKeyTag}: ${fix}; nothing may be sent`,
  );
}

/** An entry handed to `append` does not match the entry schema: a bug in the caller, never retried. */
export class LogEntryInvalidError extends Error {
  override readonly name = 'LogEntryInvalidError';
}

/** Sealing refused to run, e.g. because the range to seal does not verify or another sealer holds the lock. */
export class LogSealError extends Error {
  override readonly name = 'LogSealError';
}

/** Segment files or their manifest are unreadable or were altered. */
export class LogSegmentError extends Error {
  override readonly name = 'LogSegmentError';
}

/** A stored entry does not decode; `log verify` locates and classifies the damage. */
export class LogEntryCorruptError extends Error {
  override readonly name = 'LogEntryCorruptError';
}

/** Retention refused to delete a segment: not sealed, not the oldest kept one of its chain, or it does not verify. */
export class LogRetentionError extends Error {
  override readonly name = 'LogRetentionError';
}
