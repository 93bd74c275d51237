import { z } from 'zod';
import { MonitorThresholds } from './monitor-thresholds.js';

/** The policy's monitoring section: default thresholds and the compliance contact alerts are mailed to. */
export const Monitoring = z.strictObject({
  /** A role address (dpo@…, compliance@…), never a person's own: alerts name campaigns and counts, no subjects. */
  complianceContact: z
    .email({ error: 'monitoring.complianceContact must be an email address, like compliance@shop.example' })
    .optional(),
  thresholds: MonitorThresholds.prefault({}),
});
export type Monitoring = z.infer<typeof Monitoring>;
