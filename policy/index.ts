import { PolicyBundle } from '../domain/policy.js';
import { brand } from './brand.js';
import { notices } from './notices.js';
import { processors } from './processors.js';
import { purposes } from './purposes.js';
import { subjectFields } from './subject-fields.js';
import { jurisdictions } from './jurisdictions.js';
import { retention } from './retention.js';

/** The shipped policy as written, before validation (what `policy check` inspects). */
export const policyInput = {
  purposes,
  notices,
  processors,
  subjectFields,
  channelAddressField: { email: 'email', sms: 'phone' },
  jurisdictions,
  retention,
  brand,
  // Alerts (a monitor pause, a failed review, a broken chain, an overdue request) are mailed here.
  monitoring: { complianceContact: 'compliance@shop.example' },
};

/** The shipped policy, parsed with defaults applied; throws at import if a file breaks the schema. */
export const policy: PolicyBundle = PolicyBundle.parse(policyInput);
