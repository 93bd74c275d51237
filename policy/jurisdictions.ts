import type { JurisdictionRuleInput } from '../domain/jurisdiction.js';

const EU_MEMBERS = [
  'AT',
  'BE',
  'BG',
  'CY',
  'CZ',
  'DE',
  'DK',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'HU',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SE',
  'SI',
  'SK',
];

/** Marketing rules per jurisdiction; a subject whose recorded jurisdiction matches none gets the strictest of them. */
export const jurisdictions: readonly JurisdictionRuleInput[] = [
  {
    code: 'CN',
    name: 'China (PIPL)',
    // PIPL 13 has no soft opt-in: marketing relies on consent alone.
    marketingBases: ['consent'],
    guardianConsentUnderAge: 14,
    // MIIT practice: no commercial text messages at night.
    quietHours: { sms: { start: '21:00', end: '08:00', timezone: 'Asia/Shanghai' } },
    // PIPL 38-39: a CAC mechanism and the subject's separate consent naming the recipient.
    transferAbroad: { mechanismRequired: true, separateConsent: true },
  },
  {
    code: 'EU',
    name: 'European Union (GDPR, ePrivacy)',
    includes: EU_MEMBERS,
    marketingBases: ['consent', 'soft_opt_in'],
    // GDPR 8: 16 unless the member state chose lower.
    guardianConsentUnderAge: 16,
    guardianAgeByCode: { AT: 14, BE: 13, DK: 13, ES: 14, FI: 13, FR: 15, IT: 14, PT: 13, SE: 13 },
    transferAbroad: { mechanismRequired: true, separateConsent: false },
  },
  {
    code: 'UK',
    name: 'United Kingdom (UK GDPR, PECR)',
    includes: ['GB'],
    marketingBases: ['consent', 'soft_opt_in'],
    guardianConsentUnderAge: 13,
    transferAbroad: { mechanismRequired: true, separateConsent: false },
  },
  {
    code: 'US',
    name: 'United States (CAN-SPAM, COPPA)',
    marketingBases: ['consent', 'soft_opt_in'],
    guardianConsentUnderAge: 13,
    transferAbroad: { mechanismRequired: false, separateConsent: false },
  },
];
