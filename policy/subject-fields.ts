import type { SubjectFieldSpec } from '../domain/subject-field.js';

/** The subject profile schema: every field a profile may hold, with its category and sensitivity. */
export const subjectFields: readonly SubjectFieldSpec[] = [
  { name: 'email', type: 'email', category: 'contact', description: 'Email address; the address field of the email channel' },
  { name: 'phone', type: 'phone', category: 'contact', description: 'Mobile number in E.164; the address field of the sms channel' },
  { name: 'first_name', type: 'string', category: 'identity' },
  { name: 'last_name', type: 'string', category: 'identity' },
  { name: 'locale', type: 'locale', category: 'preference' },
  { name: 'timezone', type: 'timezone', category: 'preference' },
  { name: 'country', type: 'country', category: 'demographic' },
  { name: 'city', type: 'string', category: 'demographic' },
  { name: 'postal_code', type: 'string', category: 'demographic' },
  { name: 'birth_year', type: 'integer', category: 'demographic', min: 1900, max: 2100, description: 'Year only, never the full date (minimum necessary)' },
  { name: 'gender', type: 'enum', category: 'demographic', values: ['female', 'male', 'diverse', 'undisclosed'] },
  { name: 'loyalty_tier', type: 'enum', category: 'behavioural', values: ['none', 'silver', 'gold', 'platinum'] },
  { name: 'customer_since', type: 'date', category: 'behavioural' },
  { name: 'last_purchase_at', type: 'datetime', category: 'behavioural' },
  { name: 'last_open_at', type: 'datetime', category: 'behavioural' },
  { name: 'preferred_store', type: 'string', category: 'preference' },
  { name: 'favourite_category', type: 'string', category: 'preference' },
  { name: 'marketing_frequency', type: 'enum', category: 'preference', values: ['daily', 'weekly', 'monthly'] },
  { name: 'ad_id_hash', type: 'string', category: 'identity', description: 'Keyed hash for ad-audience matching; never the raw address' },
  { name: 'health_interest', type: 'string', category: 'sensitive', sensitive: true, description: 'Declared health interest (PIPL 28 sensitive)' },
];
