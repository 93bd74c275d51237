import { defineCampaign } from '../domain/campaign.js';

// Quiet hours: a welcome mail should land in the day, not at 3 a.m. local time.
const DAYTIME = { start: '09:00', end: '20:00' } as const;

/** Three newsletter welcome mails over a week: hello, our story, choose your preferences. */
export const welcomeSeries = defineCampaign({
  id: 'welcome-series',
  name: 'Welcome series',
  description: 'Three short welcome mails over the first week after someone subscribes to the newsletter',
  purpose: 'marketing.email.newsletter',
  audience: { segment: 'newsletter-subscribers' },
  steps: [
    { id: 'send-welcome', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' },
    { id: 'wait-3-days', type: 'wait', duration: '3d' },
    { id: 'daytime-before-story', type: 'waitUntil', window: DAYTIME, timezoneField: 'timezone' },
    { id: 'send-story', type: 'send', channel: 'email', template: 'welcome-2', processor: 'smtp-relay' },
    { id: 'wait-4-days', type: 'wait', duration: '4d' },
    { id: 'daytime-before-preferences', type: 'waitUntil', window: DAYTIME, timezoneField: 'timezone' },
    { id: 'send-preferences', type: 'send', channel: 'email', template: 'welcome-3', processor: 'smtp-relay' },
    { id: 'done', type: 'exit' },
  ],
  // The series itself is three mails in a week; the cap keeps any other campaign from piling on top of it.
  options: { kind: 'journey', holdoutPercent: 0, frequencyCap: { channel: 'email', max: 3, per: '7d' } },
});
