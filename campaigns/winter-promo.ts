import { defineCampaign } from '../domain/campaign.js';

/** One-shot winter sale announcement to gold and platinum members. */
export const winterPromo = defineCampaign({
  id: 'winter-promo',
  name: 'Winter sale early access',
  description: 'Early access to the winter sale for loyalty members, with their tier and preferred store',
  purpose: 'marketing.email.promotions',
  audience: { segment: 'loyal-members' },
  steps: [
    { id: 'send-winter-sale', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
  ],
  options: { kind: 'broadcast', holdoutPercent: 5, frequencyCap: { channel: 'email', max: 2, per: '7d' } },
});
