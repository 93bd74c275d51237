import type { LogEntry } from '../../domain/decision-log.js';
import { consentEvent, type Engine } from './engine.js';
import { uniqueId } from './services.js';

/**
 * `size` promotion subscribers seeded in the loyal-members segment. A run pages them in subjectRef order: the first
 * `bouncing` hard-bounce (550 5.1.1) and the rest are held at the sink until `release()`, so the run stands still
 * where the test wants it. `delivered()` counts the held ones the sink has received, `heldRecipients()` the RCPTs it
 * held: a conversation an attempt began is seen through once released, even by an attempt Temporal has since timed out.
 */
export async function bouncingAudience(engine: Engine, label: string, size = 40, bouncing = 15) {
  const tag = uniqueId(label);
  const written = await engine.services.subjects.upsertMany(
    Array.from({ length: size }, (_, i) => ({
      subjectId: `${tag}-${i}`,
      fields: { email: `${tag}-${i}@example.org`, first_name: `N${i}`, loyalty_tier: 'gold', preferred_store: 'Mitte' },
    })),
  );
  const members = written.map((w, i) => {
    if (w.status !== 'written') throw new Error('seed refused');
    return { ref: w.ref, address: `${tag}-${i}@example.org` };
  });
  await Promise.all(
    members.map((m) =>
      engine.services.consent.append(consentEvent(m.ref, { purpose: 'marketing.email.promotions', noticeVersion: 3 })),
    ),
  );
  members.sort((a, b) => (a.ref < b.ref ? -1 : 1));
  const bounced = new Set(members.slice(0, bouncing).map((m) => m.address));
  const rest = new Set(members.slice(bouncing).map((m) => m.address));
  engine.sink.failRecipients((a) => bounced.has(a), 550, '5.1.1 user unknown');
  let release!: () => void;
  let held = 0;
  engine.sink.holdRecipients((a) => rest.has(a) && ++held > 0, new Promise<void>((r) => (release = r)));
  const delivered = () => engine.sink.received.filter((m) => m.envelopeTo.some((a) => rest.has(a))).length;
  return { members, rest, delivered, release, heldRecipients: () => held };
}

/** Every decision-log entry of a campaign, in log order. */
export async function campaignEntries(engine: Engine, campaignId: string): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of engine.services.log.query({ campaignId })) out.push(e);
  return out;
}
