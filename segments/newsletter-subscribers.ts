import { defineSegment } from '../domain/segment.js';

/** Newsletter subscribers; the welcome journey enrols them once each (the workflow id de-duplicates). */
export const newsletterSubscribers = defineSegment({
  id: 'newsletter-subscribers',
  description: 'Everyone who currently consents to the newsletter by email',
  reads: [],
  consent: { purpose: 'marketing.email.newsletter', channel: 'email' },
  where: () => true,
});
