import { z } from 'zod';

/** What happened to a subject that processors must hear about. */
export const PropagationKind = {
  withdrawn: 'withdrawn',
  suppressed: 'suppressed',
  erased: 'erased',
  corrected: 'corrected',
} as const;
export type PropagationKind = (typeof PropagationKind)[keyof typeof PropagationKind];

/**
 * Where telling one processor about one change stands (Fides-style per-system propagation status); `withheld` is a
 * correction that would move data abroad without what the subject's jurisdiction requires (logged with its reasons).
 */
export const ProcessorStatus = {
  pending: 'pending',
  informed: 'informed',
  failed: 'failed',
  withheld: 'withheld',
} as const;
export type ProcessorStatus = (typeof ProcessorStatus)[keyof typeof ProcessorStatus];

/** The address field a processor received and can match a hash of. */
export const MatchField = { email: 'email', phone: 'phone' } as const;
export type MatchField = (typeof MatchField)[keyof typeof MatchField];

/**
 * How a notice names the subject: a hash of an address the processor received, keyed per processor, so the processor
 * can match it against its own records (it holds its key) but cannot link subjects across processors. Never our
 * subjectRef: the processor never received it.
 */
export const ProcessorSubject = z.strictObject({
  scheme: z.literal('hmac-sha256-address/v1'),
  field: z.enum(MatchField),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ProcessorSubject = z.infer<typeof ProcessorSubject>;

/** The notice a processor receives; a correction carries the new values of the fields that processor received. */
export const ProcessorNotice = z.strictObject({
  v: z.literal(2),
  changeId: z.string().min(1).max(128),
  kind: z.enum(PropagationKind),
  subject: ProcessorSubject,
  corrections: z.record(z.string().max(64), z.string().max(500)).optional(),
  purpose: z.string().max(128).optional(),
  channel: z.string().max(16).optional(),
  at: z.iso.datetime(),
});
export type ProcessorNotice = z.infer<typeof ProcessorNotice>;

/** The stored status of one change at one processor. */
export const PropagationRecord = z.strictObject({
  changeId: z.string().min(1).max(128),
  kind: z.enum(PropagationKind),
  processor: z.string().min(1).max(64),
  status: z.enum(ProcessorStatus),
  attempts: z.number().int().min(0),
  updatedAt: z.iso.datetime(),
  lastError: z.string().max(500).optional(),
});
export type PropagationRecord = z.infer<typeof PropagationRecord>;

/** What a processor's endpoint answered; `retryable` false means retrying cannot help (e.g. 4xx). */
export type NotifyResult =
  { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly retryable: boolean };

/** Port: delivers a notice to one processor (a webhook in production, a double in tests). */
export interface ProcessorNotifier {
  notify(processorId: string, notice: ProcessorNotice): Promise<NotifyResult>;
}
