import type { SubjectRef } from '../domain/ids.js';

/** Where one member of a batch ended: a terminal outcome, or deferred / busy (the run comes back for it). */
export type SendStatus =
  | 'sent'
  | 'denied'
  | 'failed'
  | 'held_out'
  | 'not_eligible'
  | 'exited'
  | 'enrolled'
  | 'completed'
  | 'deferred'
  | 'busy';

/** One subject's result; a denial is a logged outcome, not an error. */
export interface SendOutcome {
  readonly subjectRef: SubjectRef;
  readonly status: SendStatus;
  readonly reasons: readonly string[];
  readonly decisionId: string | null;
  readonly messageId?: string;
  readonly smtpCode?: number;
  /** For a deferred member: when its next attempt is due (ms). */
  readonly nextAttemptAt?: number;
}

/** How one recipient's transient refusals (4xx) are retried: on its own, with backoff, within a budget. */
export interface DeferralPolicy {
  /** Delay before the first retry; doubled for each further one. */
  readonly baseMs: number;
  /** Attempts in all; after the last one the send is a logged, permanent failure. */
  readonly maxAttempts: number;
}

/** One minute, doubling, six attempts: a recipient gets about half an hour before the send is given up. */
export const DEFAULT_DEFERRAL: DeferralPolicy = { baseMs: 60_000, maxAttempts: 6 };

/** Milliseconds from the `attempt`-th refusal (1-based) to the next attempt. */
export const deferralDelay = (p: DeferralPolicy, attempt: number): number => p.baseMs * 2 ** Math.max(0, attempt - 1);

/** Whether an outcome is final for the run. */
export const isTerminal = (s: SendStatus): boolean => s !== 'deferred' && s !== 'busy';
