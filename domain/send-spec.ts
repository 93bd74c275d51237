import { z } from 'zod';

/** One send step of one campaign run, as the guarded path sees it (no personal data); `runId` is the campaign run's. */
export const SendSpec = z
  .object({
    campaignId: z.string().min(1),
    campaignVersion: z.string(),
    workflowId: z.string().min(1),
    runId: z.string(),
    stepId: z.string().min(1),
    purpose: z.string().min(1),
    channel: z.string().min(1),
    processor: z.string().min(1),
    templateId: z.string(),
    /** The deployed bundle the step's templates and segment come from; absent: the worker's own workspace. */
    bundle: z.string().optional(),
    frequencyCap: z
      .object({ max: z.number().int().min(0), perMs: z.number().int().min(1) })
      .readonly()
      .optional(),
  })
  .readonly();
export type SendSpec = z.infer<typeof SendSpec>;

/** What identifies the step a sent message came from (kept with its SMSC ids or Message-ID; pseudonymous). */
export type SentMessageSpec = Pick<
  SendSpec,
  | 'campaignId'
  | 'campaignVersion'
  | 'workflowId'
  | 'runId'
  | 'stepId'
  | 'purpose'
  | 'channel'
  | 'processor'
  | 'templateId'
>;
