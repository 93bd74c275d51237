import { defineCampaign } from '../domain/campaign.js';

/** The winter member day by SMS, in Chinese, sent only in the subject's daytime. */
export const cnSmsPromo = defineCampaign({
  id: 'cn-sms-promo',
  name: 'Winter member day (SMS, China)',
  description:
    'A Chinese text message about the winter member day, with the 【】 signature and 回复TD退订, inside daytime hours',
  purpose: 'marketing.sms.promotions',
  audience: { segment: 'sms-promotions-subscribers' },
  steps: [
    // Quiet hours: no marketing text before 09:00 or after 20:00 where the subject lives.
    { id: 'daytime', type: 'waitUntil', window: { start: '09:00', end: '20:00' }, timezoneField: 'timezone' },
    { id: 'send-member-day', type: 'send', channel: 'sms', template: 'sms-cn-promo', processor: 'sms-gateway' },
  ],
  options: { kind: 'journey', holdoutPercent: 0, frequencyCap: { channel: 'sms', max: 2, per: '7d' } },
});
