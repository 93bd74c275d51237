import { defineSegment } from '../domain/segment.js';

/** Everyone with current consent to SMS offers; reads no profile field. */
export const smsPromotionsSubscribers = defineSegment({
  id: 'sms-promotions-subscribers',
  description: 'Everyone who currently consents to offers by text message',
  reads: [],
  consent: { purpose: 'marketing.sms.promotions', channel: 'sms' },
  where: () => true,
});
