import type { Campaign } from '../domain/campaign.js';
import { reengagement } from './reengagement.js';
import { welcomeSeries } from './welcome-series.js';
import { winterPromo } from './winter-promo.js';

/** Every shipped campaign, by id. */
export const campaigns: Readonly<Record<string, Campaign>> = Object.freeze(
  Object.fromEntries([welcomeSeries, reengagement, winterPromo].map((c) => [c.id, c])),
);
