import { z } from 'zod';
import { ChannelSchema, LegalBasisSchema } from './channel.js';
import { PurposeId } from './purpose-id.js';

/** A processing purpose: what the data is used for, on which channels, with which minimum-necessary fields. */
export const Purpose = z.object({
  id: PurposeId,
  /** Plain language, as shown to the subject on the notice and the preference page. */
  description: z.string().min(1),
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
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'language must be a tag like en or zh-CN'),
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
  region: z.string().min(2),
  subProcessors: z.array(z.string().min(1)).default([]),
  piaId: z.string().min(1).optional(),
});
export type Processor = z.infer<typeof Processor>;
/** A processor as written in policy files, before defaults apply. */
export type ProcessorInput = z.input<typeof Processor>;
