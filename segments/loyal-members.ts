import { defineSegment } from '../domain/segment.js';

const LOYAL_TIERS: ReadonlySet<string | number | undefined> = new Set(['gold', 'platinum']);

/** Gold and platinum loyalty members who accept promotional email. */
export const loyalMembers = defineSegment({
  id: 'loyal-members',
  description: 'Gold and platinum loyalty members who consent to promotional email',
  reads: ['loyalty_tier'],
  consent: { purpose: 'marketing.email.promotions', channel: 'email' },
  where: (p) => LOYAL_TIERS.has(p.loyalty_tier),
});
