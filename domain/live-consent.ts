import type { GuardState } from './consent-state.js';
import { projectionKey } from './consent-state.js';
import { purposeAncestors } from './purpose-id.js';

/**
 * A cheap pre-filter for audiences: the most specific recorded answer for the purpose (or an ancestor) on the
 * channel is a confirmed grant. It only narrows candidates; every send still goes through `decide()`.
 */
export function hasLiveConsent(state: GuardState, purpose: string, channel: string): boolean {
  if (state.loadError !== undefined || state.erased) return false;
  for (const p of [purpose, ...purposeAncestors(purpose)]) {
    const e = state.consent[projectionKey(p, channel)];
    if (e !== undefined) return (e.type === 'granted' || e.type === 'reconfirmed') && e.pending !== true;
  }
  return false;
}
