import { defineSegment } from '../domain/segment.js';

/**
 * Loyalty members in Germany, for partner offers. Reads `country`, which only `sharing.third_party.ads` allows:
 * a promotions campaign using it fails lint with field_not_allowed.
 */
export const germanyLoyal = defineSegment({
  id: 'germany-loyal',
  description: 'Subjects in Germany with any loyalty tier above none',
  reads: ['country', 'loyalty_tier'],
  where: (p) => p.country === 'DE' && p.loyalty_tier !== undefined && p.loyalty_tier !== 'none',
});
