import { z } from 'zod';
import { SubjectRef } from '../../domain/ids.js';

/** The send a channel's message id belongs to: pseudonymous, like every log entry. */
export const SentMessageRecord = z.object({
  ref: SubjectRef,
  decisionId: z.string(),
  spec: z.object({
    campaignId: z.string(),
    campaignVersion: z.string(),
    workflowId: z.string(),
    runId: z.string(),
    stepId: z.string(),
    purpose: z.string(),
    channel: z.string(),
    processor: z.string(),
    templateId: z.string(),
  }),
});
export type SentMessageRecord = z.infer<typeof SentMessageRecord>;
