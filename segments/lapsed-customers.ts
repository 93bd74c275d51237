import { daysSince, defineSegment } from '../domain/segment.js';

const LAPSED_AFTER_DAYS = 90;
// Soft opt-in covers existing customers only: someone who never bought is not in this segment.
const RECENTLY_OPENED_DAYS = 30;

/** Customers who bought before but not in the last 90 days, and have not opened a mail in the last 30. */
export const lapsedCustomers = defineSegment({
  id: 'lapsed-customers',
  description: `Customers whose last purchase is over ${LAPSED_AFTER_DAYS} days old and who opened nothing in ${RECENTLY_OPENED_DAYS} days`,
  reads: ['last_purchase_at', 'last_open_at'],
  consent: { purpose: 'marketing.email.reengagement', channel: 'email' },
  where: (p, { nowMs }) => {
    const bought = daysSince(p.last_purchase_at, nowMs);
    if (bought === undefined || bought < LAPSED_AFTER_DAYS) return false;
    const opened = daysSince(p.last_open_at, nowMs);
    return opened === undefined || opened >= RECENTLY_OPENED_DAYS;
  },
});
