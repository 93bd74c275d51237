import { projectionKey } from './consent-state.js';
import { retentionCutoffMs } from './retention.js';

/** The fields of a consent event retention judges by. */
export interface DatedAnswer {
  readonly purpose: string;
  readonly channel: string;
  readonly occurredAt: string;
}

/**
 * The events of one subject's history (in store order) that are past retention at `nowMs`: those superseded, on
 * their purpose and channel, by a later answer given more than `days` ago. An answer is evidence for as long as a
 * send could rely on it, and it stops being relied on when it is superseded; so a grant later withdrawn goes
 * `days` after the withdrawal, and a withdrawal goes only once a later answer replaced it. The latest answer per
 * purpose and channel is never due: the guard decides from it, so the projection stays exactly what it was.
 */
export function consentEventsPastRetention<E extends DatedAnswer>(
  events: readonly E[],
  days: number,
  nowMs: number,
): E[] {
  const cutoff = retentionCutoffMs(nowMs, days);
  const latest = new Map<string, E>();
  const due: E[] = [];
  for (const e of events) {
    const key = projectionKey(e.purpose, e.channel);
    const before = latest.get(key);
    // Both dates must be past: a backdated later answer never makes an earlier one due sooner than its own age.
    if (before && Math.max(Date.parse(before.occurredAt), Date.parse(e.occurredAt)) < cutoff) due.push(before);
    latest.set(key, e);
  }
  return due;
}
