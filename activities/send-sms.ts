import type { SubjectRef } from '../domain/ids.js';
import type { SentMessageSpec } from '../domain/send-spec.js';

/** What a receipt needs to be logged against: the send's step, subject and authorising decision (pseudonymous). */
export interface SmsSendContext {
  readonly ref: SubjectRef;
  readonly decisionId: string;
  readonly spec: SentMessageSpec;
}

/**
 * Runs the write that records an accepted message. The send path passes one that waits out a Redis outage, as its
 * own commit does: a record lost after the SMSC accepted would leave the send reserved, and a retry would resend.
 */
export type RecordAccepted = (write: () => Promise<void>) => Promise<void>;

/** The SMS channel port: submit (remembering each SMSC id for its receipts) and suppress a number that cannot receive. */
export interface SmsChannel {
  send(
    to: string,
    text: string,
    ctx: SmsSendContext,
    record?: RecordAccepted,
  ): Promise<{ readonly messageIds: readonly string[] }>;
  suppress(ref: SubjectRef): Promise<unknown>;
}

/** How a failed SMS submit is treated: deferred (gateway away, throttled) or failed for good, perhaps suppressing the number. */
export interface SmsFailure {
  readonly transient: boolean;
  readonly reason: string;
  readonly suppress: boolean;
}

/** Reads an SMS transport error (`SmsSubmitError` shape); undefined for anything else, which is a bug or infra fault. */
export function smsFailure(e: unknown): SmsFailure | undefined {
  if (!(e instanceof Error) || e.name !== 'SmsSubmitError') return undefined;
  const { status, permanent } = e as Error & { status?: number; permanent?: boolean };
  if (status === undefined) return { transient: true, reason: 'smpp_unreachable', suppress: false };
  // 0x0B invalid destination, 0x0A invalid source, 0x45 submit failed: the number itself is the problem only for 0x0B.
  if (permanent)
    return {
      transient: false,
      reason: status === 0x0b ? 'sms_invalid_number' : 'smpp_rejected',
      suppress: status === 0x0b,
    };
  return { transient: true, reason: `smpp_status_${status}`, suppress: false };
}
