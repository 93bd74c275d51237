import { defineSegment } from '../domain/segment.js';

/** Everyone with current consent to marketing email; reads no profile field. */
export const allSubscribers = defineSegment({
  id: 'all-subscribers',
  description: 'Everyone who currently consents to marketing email',
  reads: [],
  consent: { purpose: 'marketing.email', channel: 'email' },
  where: () => true,
});
