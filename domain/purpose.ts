import { z } from 'zod';
import { ChannelSchema, LegalBasisSchema } from './channel.js';
import { Jurisdiction } from './consent.js';
import { TransferMechanism } from './jurisdiction.js';
import { PurposeId } from './purpose-id.js';

/** A BCP 47-style language tag such as `en` or `zh-CN`. */
const LanguageTag = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'language must be a tag like en or zh-CN');

/** A processing purpose: what the data is used for, on which channels, with which minimum-necessary fields. */
export const Purpose = z.object({
  id: PurposeId,
  /** A short plain-language name in the default language (en); the description stands in when it is absent. */
  name: z.string().min(1).optional(),
  /** Plain language, as shown to the subject on the notice and the preference page. */
  description: z.string().min(1),
  /** The name and description in each other language a notice is published in (the subject never sees the id). */
  texts: z.record(LanguageTag, z.strictObject({ name: z.string().min(1), description: z.string().min(1) })).default({}),
  legalBasis: LegalBasisSchema,
  channels: z.array(ChannelSchema).min(1),
  /** The minimum-necessary merge fields; the channel's address field is allowed implicitly. */
  allowedFields: z.array(z.string()),
  /** Needs its own consent event (PIPL 23, 29): consent to an ancestor or bundle does not count. */
  separateConsent: z.boolean().default(false),
  /** Processes sensitive personal information (PIPL 28). */
  sensitive: z.boolean().default(false),
  /** Uses profiling or automated decisions to personalise (PIPL 24): honours personalisation=off. */
  personalised: z.boolean().default(false),
  /** Consent older than this stops counting. */
  maxConsentAgeDays: z.number().int().positive(),
  /** Consents recorded under an older notice stop counting (a material notice change bumps this). */
  minNoticeVersion: z.number().int().positive(),
  /** The privacy impact assessment (PIPL 55, GDPR 35) that covers the purpose. */
  piaId: z.string().min(1).optional(),
  /** Where the purpose is offered (jurisdiction rule codes); absent means everywhere. Elsewhere the guard denies. */
  jurisdictions: z.array(z.string().regex(/^[A-Z]{2}$/, 'jurisdictions are rule codes like CN or EU')).optional(),
  /**
   * Makes this the separate consent to providing data abroad to one processor (PIPL 39): consent to it, under a
   * notice that names that processor as an overseas recipient, is what a transfer from a jurisdiction that asks
   * for separate consent relies on.
   */
  transferTo: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, 'transferTo must be a processor id')
    .optional(),
});
export type Purpose = z.infer<typeof Purpose>;
/** A purpose as written in policy files, before defaults apply. */
export type PurposeInput = z.input<typeof Purpose>;

/** A version of the privacy notice shown when consent is collected. */
export const Notice = z.object({
  version: z.number().int().positive(),
  /** Hash of the exact text shown, so a consent record proves what the subject read. */
  contentHash: z.string().regex(/^[0-9a-f]{64}$/, 'contentHash must be a lower-case hex SHA-256'),
  effectiveAt: z.iso.datetime(),
  /** A material change (purposes, methods, recipients, fields; PIPL 14) makes older consents outdated. */
  material: z.boolean(),
  language: LanguageTag,
  /**
   * Processors this notice names as overseas recipients, with the contact, purposes, categories and rights route
   * their registry entries carry (PIPL 39); a cross-border consent counts only under a notice that names its recipient.
   */
  overseasRecipients: z
    .array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'overseas recipients are processor ids'))
    .optional(),
});
export type Notice = z.infer<typeof Notice>;

/** The role a third party plays for the data it receives. */
export const ProcessorRole = {
  processor: 'processor',
  sub_processor: 'sub_processor',
  joint_controller: 'joint_controller',
  recipient: 'recipient',
} as const;
export type ProcessorRole = (typeof ProcessorRole)[keyof typeof ProcessorRole];

/** A third party that carries or receives messages, with the agreement that binds it (PIPL 21, GDPR 28). */
export const Processor = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'processor id must be lower-case kebab-case'),
  name: z.string().min(1),
  role: z.enum(ProcessorRole),
  /** Missing means no agreement: the guard never sends to it and `policy check` reports it. */
  agreementId: z.string().min(1).optional(),
  agreementValidFrom: z.iso.datetime().optional(),
  agreementValidUntil: z.iso.datetime().optional(),
  purposes: z.array(PurposeId),
  /** The fields it may receive, address fields included. */
  fields: z.array(z.string()),
  /** Where the processor holds the data: a jurisdiction code, compared with each subject's own. */
  region: Jurisdiction,
  /** Per source jurisdiction that needs one, the instrument that allows the transfer (PIPL 38, GDPR 46). */
  transferMechanisms: z.array(TransferMechanism).optional(),
  /** What a notice tells a subject abroad about this recipient (PIPL 39): who to contact, how to exercise rights. */
  overseasContact: z.object({ contact: z.string().min(1), rights: z.string().min(1) }).optional(),
  subProcessors: z.array(z.string().min(1)).default([]),
  piaId: z.string().min(1).optional(),
});
export type Processor = z.infer<typeof Processor>;
/** A processor as written in policy files, before defaults apply. */
export type ProcessorInput = z.input<typeof Processor>;
