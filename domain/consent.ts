import { z } from 'zod';
import { ChannelSchema, LegalBasisSchema } from './channel.js';
import { SubjectRef } from './ids.js';
import { PurposeId } from './purpose-id.js';

/** What a consent event records; events are append-only, so a change of mind is a new event. */
export const ConsentEventType = {
  granted: 'granted',
  withdrawn: 'withdrawn',
  expired: 'expired',
  reconfirmed: 'reconfirmed',
} as const;
export type ConsentEventType = (typeof ConsentEventType)[keyof typeof ConsentEventType];

/** How the answer was collected (GDPR 7(1): the controller must be able to show how). */
export const ConsentMethod = {
  form: 'form',
  preference_center: 'preference_center',
  import: 'import',
  api: 'api',
  one_click: 'one_click',
  double_opt_in: 'double_opt_in',
  /** An inbound SMS reply with an opt-out keyword (TD, T, N, STOP, 退订). */
  sms_reply: 'sms_reply',
  /** Entered by staff on the subject's behalf (the source names the actor); never reads as the subject's own act. */
  staff: 'staff',
} as const;
export type ConsentMethod = (typeof ConsentMethod)[keyof typeof ConsentMethod];

/** A ULID: 26 Crockford base32 characters, time-ordered. */
export const Ulid = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'id must be a ULID (26 Crockford base32 characters)');

/** A BCP 47-style language tag such as `en` or `zh-CN`. */
export const LanguageTag = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'language must be a tag like en or zh-CN');

/** A jurisdiction code: ISO country (`CN`, `DE`), optionally with a region (`US-CA`), or `EU`. */
export const Jurisdiction = z
  .string()
  .regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, 'jurisdiction must look like CN, DE, EU or US-CA');

/** One consent event: who answered what, for which purpose and channel, under which notice, how and when. */
export const ConsentEvent = z.object({
  id: Ulid,
  type: z.enum(ConsentEventType),
  subjectRef: SubjectRef,
  purpose: PurposeId,
  channel: ChannelSchema,
  legalBasis: LegalBasisSchema,
  noticeVersion: z.number().int().positive(),
  noticeHash: z.string().min(1),
  language: LanguageTag,
  collectionPoint: z.string().min(1).max(200),
  method: z.enum(ConsentMethod),
  /** When the subject answered, ISO 8601 UTC: server time, or a migrated answer's own time within its bounds. */
  occurredAt: z.iso.datetime(),
  source: z.string().min(1).max(200),
  jurisdiction: Jurisdiction,
  /** A double-opt-in grant that is not confirmed yet: never sendable until a later `reconfirmed`. */
  pending: z.literal(true).optional(),
  /** Who gave the answer: `guardian` for a minor's guardian (PIPL 31, GDPR 8); absent means the subject. */
  givenBy: z.enum(['subject', 'guardian']).optional(),
  /** Proof of the act without raw personal data: the IP is stored only as a keyed hash. */
  evidence: z.object({ ipHash: z.string().min(1).optional(), userAgent: z.string().max(512).optional() }).optional(),
});
export type ConsentEvent = z.infer<typeof ConsentEvent>;
