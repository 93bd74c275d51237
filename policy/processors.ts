import type { ProcessorInput } from '../domain/policy.js';

const emailPurposes = [
  'marketing.email',
  'marketing.email.newsletter',
  'marketing.email.promotions',
  'marketing.email.reengagement',
];

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
    fields: [
      'email',
      'first_name',
      'last_name',
      'locale',
      'timezone',
      'loyalty_tier',
      'preferred_store',
      'favourite_category',
      'city',
      'last_purchase_at',
      'last_open_at',
      'birth_year',
      'gender',
      'health_interest',
    ],
    region: 'EU',
    transferMechanisms: [
      // PIPL 38(3): the CAC standard contract, filed with the provincial CAC.
      {
        from: 'CN',
        kind: 'standard_contract',
        reference: 'CAC-SC-440300-2025-0142',
        validFrom: '2025-03-01T00:00:00Z',
        validUntil: '2028-02-29T23:59:59Z',
      },
      {
        from: 'UK',
        kind: 'adequacy',
        reference: 'UK adequacy regulations for the EEA (DPA 2018 s.17A)',
        validFrom: '2021-01-01T00:00:00Z',
        validUntil: '2031-12-31T23:59:59Z',
      },
    ],
    overseasContact: {
      contact:
        'Postwerk Mail Relay GmbH, Privacy Office, Friedrichstr. 12, 10117 Berlin, Germany; privacy@postwerk.example',
      rights:
        'Write to privacy@postwerk.example or use our preference centre; we forward every request within 3 working days',
    },
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
    fields: [
      'phone',
      'first_name',
      'preferred_store',
      'locale',
      'loyalty_tier',
      'favourite_category',
      'last_purchase_at',
      'birth_year',
      'gender',
      'city',
    ],
    region: 'CN',
    transferMechanisms: [
      {
        from: 'EU',
        kind: 'standard_contract',
        reference: 'SCC 2021/914 module 2, signed 2024-02-20',
        validFrom: '2024-03-01T00:00:00Z',
        validUntil: '2027-02-28T23:59:59Z',
      },
      {
        from: 'UK',
        kind: 'standard_contract',
        reference: 'UK IDTA, signed 2024-02-20',
        validFrom: '2024-03-01T00:00:00Z',
        validUntil: '2027-02-28T23:59:59Z',
      },
    ],
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
    transferMechanisms: [
      {
        from: 'EU',
        kind: 'adequacy',
        reference: 'Commission Implementing Decision (EU) 2021/1772',
        validFrom: '2021-06-28T00:00:00Z',
        validUntil: '2031-12-27T23:59:59Z',
      },
    ],
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
