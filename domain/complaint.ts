import { z } from 'zod';
import type { LogEntryInput } from './decision-log.js';
import type { SubjectRef } from './ids.js';
import type { SentMessageSpec } from './send-spec.js';

/** Where a complaint came in: an ARF feedback-loop report over SMTP, or a relay's JSON post. */
export const ComplaintSource = { arf: 'arf', webhook: 'webhook' } as const;
export type ComplaintSource = (typeof ComplaintSource)[keyof typeof ComplaintSource];

/** RFC 5965 feedback types; `not-spam` is the one that is no complaint at all. */
export const FeedbackType = z.enum(['abuse', 'fraud', 'virus', 'other', 'not-spam']);
export type FeedbackType = z.infer<typeof FeedbackType>;

/** A complaint as intake receives it, whichever way it came: our Message-ID of the message complained about. */
export interface ComplaintReport {
  readonly source: ComplaintSource;
  readonly feedbackType: FeedbackType;
  /** The original message's Message-ID, angle brackets included; an ARF report may name the message by its link only. */
  readonly messageId?: string;
  /** The unsubscribe link token of the original message, when its headers came with the report. */
  readonly unsubscribeToken?: string;
  /** When the recipient's provider received the report (ARF Arrival-Date, or the relay's time). */
  readonly receivedAt?: Date;
  /** Who handed it in through the API: the API key's name (never a person's address). */
  readonly actor?: string;
}

/** The send a Message-ID belongs to: pseudonymous, as the send path remembered it. */
export interface ComplainedMessage {
  readonly ref: SubjectRef;
  readonly decisionId?: string;
  readonly spec?: SentMessageSpec;
  /** Only the campaign is known (the message was matched by its unsubscribe link, not by the message index). */
  readonly campaignId?: string;
}

/** What intake did with one report; every outcome is a value, none an exception. */
export type ComplaintOutcome =
  | {
      readonly status: 'recorded';
      readonly subjectRef: SubjectRef;
      readonly campaignId: string | null;
      readonly entryId: string;
    }
  | { readonly status: 'duplicate'; readonly subjectRef: SubjectRef; readonly campaignId: string | null }
  | { readonly status: 'unmatched' | 'not_a_complaint' }
  | { readonly status: 'malformed'; readonly code: string; readonly message: string };

/** The reason code a complaint entry carries, e.g. `feedback_abuse`. */
export const feedbackReason = (t: FeedbackType): string => `feedback_${t.replace('-', '_')}`;

/**
 * The decision-log entry of one complaint: the subject by pseudonym, the campaign, run and step it concerns, its
 * source and feedback type, and our own Message-ID. Never the address or the report body.
 */
export function complaintEntry(m: ComplainedMessage, r: ComplaintReport, at: Date): LogEntryInput {
  const s = m.spec;
  return {
    subjectRef: m.ref,
    kind: 'complaint',
    outcome: 'recorded',
    campaignId: s?.campaignId ?? m.campaignId ?? null,
    campaignVersion: s?.campaignVersion || null,
    workflowId: s?.workflowId ?? null,
    runId: s?.runId || null,
    stepId: s?.stepId ?? null,
    purpose: s?.purpose ?? null,
    channel: s?.channel ?? 'email',
    processor: s?.processor ?? null,
    templateId: s?.templateId || null,
    decisionId: m.decisionId ?? null,
    messageId: r.messageId ?? null,
    result: `source=${r.source} feedback=${r.feedbackType}${r.receivedAt ? ` received=${r.receivedAt.toISOString()}` : ''}${r.actor ? ` actor=${r.actor}` : ''}`,
    reasons: [feedbackReason(r.feedbackType)],
    at: at.toISOString(),
  };
}
