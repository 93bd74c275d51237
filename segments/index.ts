import type { Segment } from '../domain/segment.js';
import { allSubscribers } from './all-subscribers.js';
import { germanyLoyal } from './germany-loyal.js';
import { lapsedCustomers } from './lapsed-customers.js';
import { loyalMembers } from './loyal-members.js';
import { newsletterSubscribers } from './newsletter-subscribers.js';

/** Every shipped segment, by id. */
export const segments: Readonly<Record<string, Segment>> = Object.freeze(
  Object.fromEntries([allSubscribers, newsletterSubscribers, lapsedCustomers, loyalMembers, germanyLoyal].map((s) => [s.id, s])),
);
