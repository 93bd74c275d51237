/** How long the record of an accepted message keeps trying while Redis is away, before the batch fails. */
export const COMMIT_PATIENCE_MS = 60_000;
const COMMIT_RETRY_MS = 250;

/** What waiting out an outage needs: the patience, a heartbeat so Temporal sees the activity alive, and a sleep. */
export interface RecordPatience {
  readonly commitPatienceMs: number;
  readonly heartbeat: () => void;
  readonly sleep: (ms: number) => Promise<void>;
}

/** The record of a message the SMTP server or SMSC accepted failed for longer than we wait: the retry resends it. */
export class CommitFailedError extends Error {
  override readonly name = 'CommitFailedError';
}

/**
 * Runs a write that records a message the server already accepted (the ledger commit, an SMSC id for its
 * receipts), waiting out a short Redis outage (heartbeating) rather than failing the batch: a failed record is what
 * makes a retry resend, so every second waited here is a duplicate avoided. The patience is counted in attempts,
 * so a test's frozen clock cannot keep it spinning.
 */
export async function recordAccepted<T>(p: RecordPatience, write: () => Promise<T>): Promise<T> {
  const attempts = Math.max(1, Math.ceil(p.commitPatienceMs / COMMIT_RETRY_MS));
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (attempt >= attempts) throw new CommitFailedError('could not record an accepted message', { cause: e });
      p.heartbeat();
      await p.sleep(COMMIT_RETRY_MS);
    }
  }
}
