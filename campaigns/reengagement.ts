import { defineCampaign } from '../domain/campaign.js';

/** Nudges lapsed customers once; only those who open it within three days get the follow-up. */
export const reengagement = defineCampaign({
  id: 'reengagement',
  name: 'Re-engagement',
  description:
    'One reminder to lapsed customers; a welcome-back offer only for those who open it, silence for the rest',
  purpose: 'marketing.email.reengagement',
  audience: { segment: 'lapsed-customers' },
  steps: [
    { id: 'send-nudge', type: 'send', channel: 'email', template: 'reengage-nudge', processor: 'smtp-relay' },
    // Not opening within three days is the timeout: we stop rather than keep mailing someone who is not reading.
    {
      id: 'opened-nudge',
      type: 'branch',
      condition: { kind: 'event', event: 'opened', within: '3d' },
      then: 'send-offer',
      otherwise: 'stop-unengaged',
    },
    { id: 'send-offer', type: 'send', channel: 'email', template: 'reengage-offer', processor: 'smtp-relay' },
    { id: 'done', type: 'exit' },
    { id: 'stop-unengaged', type: 'exit' },
  ],
  // A 10% control group measures whether the journey wins anyone back at all.
  options: { kind: 'journey', holdoutPercent: 10, frequencyCap: { channel: 'email', max: 2, per: '7d' } },
});
