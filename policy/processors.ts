import type { ProcessorInput } from '../domain/policy.js';

const emailPurposes = ['marketing.email', 'marketing.email.newsletter', 'marketing.email.promotions', 'marketing.email.reengagement'];

/** Third parties that carry or receive messages, each bound by an agreement (PIPL 21, GDPR 28). */
export const processors: readonly ProcessorInput[] = [
  {
    id: 'smtp-relay',
    name: 'Postwerk Mail Relay GmbH',
    role: 'processor',
    agreementId: 'DPA-2024-017',
    agreementValidFrom: '2024-01-01T00:00:00Z',
    agreementValidUntil: '2027-12-31T23:59:59Z',
    purposes: [...emailPurposes, 'marketing.personalized', 'sensitive.health_offers'],
    fields: ['email', 'first_name', 'last_name', 'locale', 'timezone', 'loyalty_tier', 'preferred_store', 'favourite_category',
      'city', 'last_purchase_at', 'last_open_at', 'birth_year', 'gender', 'health_interest'],
    region: 'EU',
    subProcessors: ['Hetzner Online GmbH (hosting, DE)'],
    piaId: 'PIA-2024-003',
  },
  {
    id: 'sms-gateway',
    name: 'Lianxin SMS Gateway Co., Ltd.',
    role: 'processor',
    agreementId: 'DPA-2024-022',
    agreementValidFrom: '2024-03-01T00:00:00Z',
    agreementValidUntil: '2027-02-28T23:59:59Z',
    purposes: ['marketing.sms', 'marketing.sms.promotions', 'marketing.personalized'],
    fields: ['phone', 'first_name', 'preferred_store', 'locale', 'loyalty_tier', 'favourite_category', 'last_purchase_at',
      'birth_year', 'gender', 'city'],
    region: 'CN',
    subProcessors: [],
    piaId: 'PIA-2024-005',
  },
  {
    id: 'ads-partner',
    name: 'Adline Media Ltd.',
    role: 'recipient',
    agreementId: 'DSA-2025-003',
    agreementValidFrom: '2025-06-01T00:00:00Z',
    agreementValidUntil: '2026-12-31T23:59:59Z',
    purposes: ['sharing.third_party.ads'],
    fields: ['email', 'first_name', 'ad_id_hash', 'country'],
    region: 'UK',
    subProcessors: [],
    piaId: 'PIA-2025-009',
  },
  {
    // Kept for the audit trail of past sends; the agreement lapsed, so the guard denies every new send.
    id: 'legacy-esp',
    name: 'BulkBlast Inc. (former email provider)',
    role: 'processor',
    agreementId: 'DPA-2021-004',
    agreementValidFrom: '2021-03-01T00:00:00Z',
    agreementValidUntil: '2024-02-29T23:59:59Z',
    purposes: emailPurposes,
    fields: ['email', 'first_name', 'locale'],
    region: 'US',
    subProcessors: ['Amazon Web Services (hosting, US)'],
    piaId: 'PIA-2021-002',
  },
];
