import { z } from 'zod';
import { RETENTION_GRACE_DAYS } from '../../domain/review-retention.js';

/** A terminal outcome of one audience member on one step of a run (enrolled and completed: journey campaigns). */
export const TerminalOutcome = z.enum([
  'sent',
  'failed',
  'denied',
  'held_out',
  'not_eligible',
  'exited',
  'enrolled',
  'completed',
]);
export type TerminalOutcome = z.infer<typeof TerminalOutcome>;

/**
 * Where one (workflow, step, subject) stands: decided → reserved → committed, or closed without a send. The
 * record names the run that owns it and the decision of record, so a retry reuses that decision instead of logging
 * a second one, and reconciliation counts outcomes from here rather than from workflow memory.
 */
export const LedgerRecord = z.object({
  runId: z.string().optional(),
  state: z.enum(['decided', 'reserved', 'committed', 'closed']),
  at: z.string(),
  /** The log entry of record: the decision, or the outcome entry of a member that was never decided. */
  decisionId: z.string(),
  decision: z.enum(['allow', 'deny']).optional(),
  /** Decision entries this run logged for the step (more than one only after an explicit re-decision). */
  decisions: z.number().int().min(0).default(1),
  /** The consent epoch the decision was made at; a reservation needs it unchanged. */
  epoch: z.number().int().min(0).optional(),
  /**
   * What an allow released (the decision of record's fields, the channel's address field among them): a resumed
   * send reads exactly these, whatever the policy says now. Records written before they were kept have neither.
   */
  fieldsReleased: z.array(z.string()).optional(),
  addressField: z.string().optional(),
  messageId: z.string().optional(),
  /**
   * The attempt that reserved or last settled the send (a random token per attempt). Another attempt of the same
   * run takes a reservation over only once its lease ran out, and a superseded attempt's settle writes nothing.
   */
  owner: z.string().optional(),
  outcome: TerminalOutcome.optional(),
  smtpCode: z.number().int().optional(),
  reasons: z.array(z.string()).default([]),
  /**
   * Whether the terminal entry is known to be in the log. A delivery outcome leaves it false (no write after the
   * append): a retry re-appends it under its idempotency key, which hands back the stored entry.
   */
  logged: z.boolean().default(false),
  /** Transient refusals so far (4xx) and when the next attempt is due (ms). */
  deferrals: z.number().int().min(0).default(0),
  nextAttemptAt: z.number().optional(),
  /** An earlier run of the same workflow already delivered this step to the subject. */
  sentBefore: z.boolean().default(false),
  /** The send-ledger retention (days) of the policy the record was written under; 90 for records without one. */
  retentionDays: z.number().int().positive().optional(),
});
export type LedgerRecord = z.infer<typeof LedgerRecord>;

/** Whether a record is terminal for `runId`, and with which outcome. */
export function terminalFor(rec: LedgerRecord | undefined, runId: string): TerminalOutcome | undefined {
  if (!rec || rec.runId !== runId || (rec.state !== 'committed' && rec.state !== 'closed')) return undefined;
  return rec.outcome;
}

/**
 * How long a record outlives its last write: its policy's send-ledger retention plus the daily retention run's
 * margin. The retention run removes it at the retention (unless its run still needs it); the expiry is the backstop.
 */
export function recordTtlMs(rec: Pick<LedgerRecord, 'retentionDays'>): number {
  return ((rec.retentionDays ?? 90) + RETENTION_GRACE_DAYS) * 86_400_000;
}
