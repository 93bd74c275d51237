import type { ConsentEvent } from '../domain/consent.js';
import { consentEventsPastRetention } from '../domain/consent-retention.js';
import type { SubjectRef } from '../domain/ids.js';
import { retentionEntry } from '../domain/retention-entry.js';
import type { AppendLog } from './send-pipeline.js';

/** One stored consent event and the raw item that holds it, so the removal deletes exactly what was judged. */
export interface StoredConsentEvent {
  readonly event: ConsentEvent;
  readonly raw: string;
}

/** The consent-event retention ports. */
export interface ConsentRetentionPorts {
  /** A subject's events in store order, or null when they do not read (then nothing of the subject is touched). */
  readonly consentHistory: (ref: SubjectRef) => Promise<StoredConsentEvent[] | null>;
  /** Deletes the given events; the store refuses any that is a current answer. */
  readonly removeConsentEvents: (ref: SubjectRef, items: readonly StoredConsentEvent[]) => Promise<number>;
}

/**
 * Removes one subject's consent events past retention (superseded answers, see consentEventsPastRetention), logging
 * the removal first with how many and the dates they carried; returns how many went, or null if unreadable.
 */
export async function expireConsentEvents(
  deps: ConsentRetentionPorts & { readonly appendLog: AppendLog; readonly now: () => Date },
  ref: SubjectRef,
  days: number,
  asOf: Date,
): Promise<number | null> {
  const history = await deps.consentHistory(ref);
  if (history === null) return null;
  const due = consentEventsPastRetention(
    history.map((h) => ({
      purpose: h.event.purpose,
      channel: h.event.channel,
      occurredAt: h.event.occurredAt,
      stored: h,
    })),
    days,
    asOf.getTime(),
  );
  if (due.length === 0) return 0;
  const times = due.map((d) => Date.parse(d.occurredAt));
  const entry = retentionEntry({
    cls: 'consent_events',
    what: 'superseded',
    reason: `superseded_older_than_${days}d`,
    asOf,
    at: deps.now(),
    subjectRef: ref,
    data: { n: due.length, fromMs: Math.min(...times), toMs: Math.max(...times) },
  });
  // Keyed by the newest removed event: a retry logs once, a later removal for the same subject logs again.
  const newest = due
    .map((d) => d.stored.event.id)
    .sort()
    .at(-1);
  await deps.appendLog([entry], { idempotencyKeys: [`retention|consent_events|${ref}|${newest}`] });
  return deps.removeConsentEvents(
    ref,
    due.map((d) => d.stored),
  );
}
