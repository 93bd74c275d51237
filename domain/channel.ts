import { z } from 'zod';

/** A delivery channel a purpose may use and a consent event is recorded for. */
export const Channel = { email: 'email', sms: 'sms' } as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

/** Zod schema for a channel name. */
export const ChannelSchema = z.enum(Channel);

/** Every channel, in a stable order (used for per-channel lookup tables). */
export const channels: readonly Channel[] = Object.values(Channel);

/** The legal basis a purpose relies on (PIPL 13, GDPR 6; soft opt-in from ePrivacy 13(2)). */
export const LegalBasis = {
  consent: 'consent',
  contract: 'contract',
  legal_obligation: 'legal_obligation',
  legitimate_interest: 'legitimate_interest',
  soft_opt_in: 'soft_opt_in',
} as const;
export type LegalBasis = (typeof LegalBasis)[keyof typeof LegalBasis];

/** Zod schema for a legal basis. */
export const LegalBasisSchema = z.enum(LegalBasis);
