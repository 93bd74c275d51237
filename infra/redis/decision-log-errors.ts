/** Why an append did not reach the log; every case means the caller must not send. */
export const LogUnavailableReason = { timeout: 'timeout', conflict: 'conflict', redis: 'redis', clockSkew: 'clock_skew' } as const;
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
