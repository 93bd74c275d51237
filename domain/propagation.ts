import { z } from 'zod';
import { SubjectRef } from './ids.js';

/** What happened to a subject that processors must hear about. */
export const PropagationKind = { withdrawn: 'withdrawn', suppressed: 'suppressed', erased: 'erased', corrected: 'corrected' } as const;
export type PropagationKind = (typeof PropagationKind)[keyof typeof PropagationKind];

/** Where telling one processor about one change stands (Fides-style per-system propagation status). */
export const ProcessorStatus = { pending: 'pending', informed: 'informed', failed: 'failed' } as const;
export type ProcessorStatus = (typeof ProcessorStatus)[keyof typeof ProcessorStatus];

/** The notice a processor receives: pseudonymous, never an address or profile value. */
export const ProcessorNotice = z.strictObject({
  v: z.literal(1),
  changeId: z.string().min(1).max(128),
  kind: z.enum(PropagationKind),
  subjectRef: SubjectRef,
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
export type NotifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly retryable: boolean };

/** Port: delivers a notice to one processor (a webhook in production, a double in tests). */
export interface ProcessorNotifier {
  notify(processorId: string, notice: ProcessorNotice): Promise<NotifyResult>;
}
