import { z } from 'zod';
import { ChannelSchema } from './channel.js';

/** Why a subject is globally suppressed; any of these overrides every purpose consent. */
export const SuppressionKind = {
  unsubscribe_all: 'unsubscribe_all',
  hard_bounce: 'hard_bounce',
  complaint: 'complaint',
  erased: 'erased',
  minor: 'minor',
  objection: 'objection',
} as const;
export type SuppressionKind = (typeof SuppressionKind)[keyof typeof SuppressionKind];

/** A suppression record; without `channel` it blocks every channel (a hard bounce usually names `email`). */
export const Suppression = z.object({
  kind: z.enum(SuppressionKind),
  at: z.iso.datetime(),
  source: z.string().min(1).max(200),
  channel: ChannelSchema.optional(),
});
export type Suppression = z.infer<typeof Suppression>;
