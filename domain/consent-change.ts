import { z } from 'zod';

/** A consent change for a journey's subject; versioned so old journeys keep decoding new senders. */
export const ConsentChange = z
  .object({
    v: z.literal(1),
    kind: z.enum(['withdrawn', 'granted', 'suppressed', 'erased']),
    /** The purpose withdrawn; absent means every purpose (unsubscribe from all). */
    purpose: z.string().min(1).optional(),
    channel: z.string().min(1).optional(),
  })
  .readonly();
export type ConsentChange = z.infer<typeof ConsentChange>;
