import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { temporal } from '@temporalio/proto';
import { defineCampaign } from '../../domain/campaign.js';
import { reconcileRun } from '../../infra/redis/run-reconcile.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { consentEvent, useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();

const promo = (frequencyCap?: { channel: 'email'; max: number; per: string }) =>
  defineCampaign({
    id: uniqueId('overlap'),
    name: 'Overlap',
    description: 'overlapped broadcast',
    purpose: 'marketing.email.promotions',
    audience: { segment: 'loyal-members' },
    steps: [
      { id: 'send-promo', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
    ],
    options: { kind: 'broadcast', holdoutPercent: 0, frequencyCap },
  });

async function seed(n: number): Promise<string[]> {
  const tag = uniqueId('ov');
  const rows = Array.from({ length: n }, (_, i) => ({
    subjectId: `${tag}-${i}`,
    fields: { email: `${tag}-${i}@example.org`, first_name: `N${i}`, loyalty_tier: 'gold', preferred_store: 'Mitte' },
  }));
  const written = await engine.services.subjects.upsertMany(rows);
  await Promise.all(
    written.map((w) =>
      w.status === 'written'
        ? engine.services.consent.append(consentEvent(w.ref, { purpose: 'marketing.email.promotions' }))
        : Promise.reject(new Error('seed refused')),
    ),
  );
  return rows.map((r) => r.fields.email);
}

/** Every execution's events, oldest first, following continue-as-new back from the latest run. */
async function histories(workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent[][]> {
  const out: temporal.api.history.v1.IHistoryEvent[][] = [];
  let runId: string | undefined;
  for (;;) {
    const events = (await engine.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    out.unshift(events);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    if (!runId) return out;
  }
}

/** Chunk activities open at once, in history order (scheduled, not yet closed): the most, and at the end. */
function openChunks(events: readonly temporal.api.history.v1.IHistoryEvent[]): { most: number; atEnd: number } {
  const chunks = new Set<string>();
  let open = 0;
  let most = 0;
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendBroadcastChunk') {
      chunks.add(String(e.eventId));
      most = Math.max(most, ++open);
    }
    const closed =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes;
    if (closed && chunks.has(String(closed.scheduledEventId))) open -= 1;
  }
  return { most, atEnd: open };
}
const mostOpen = (events: readonly temporal.api.history.v1.IHistoryEvent[]) => openChunks(events).most;

async function runToEnd(
  n: number,
  opts: { pageSize: number; chunksInFlight: number; pagesPerRun?: number },
  c = promo(),
) {
  const addresses = new Set(n > 0 ? await seed(n) : []);
  const run = await startCampaign(
    engine.client,
    c,
    { segment: 'loyal-members' },
    { taskQueue: engine.taskQueue, campaignVersion: 'v-test', runs: engine.services.runs, ...opts },
  );
  assert.equal(run.kind, 'run');
  const progress = (await engine.client.workflow.getHandle(`campaign:${c.id}`).result()) as CampaignProgress;
  const got = engine.sink.received
    .filter((m) => m.envelopeTo.some((a) => addresses.has(a)))
    .flatMap((m) => m.envelopeTo);
  const r = await reconcileRun(
    engine.services.runs,
    engine.services.ledger,
    (await engine.services.runs.get(run.runId))!,
  );
  return { c, addresses, progress, got, r };
}

test('a broadcast runs several chunks at once, never more than its bound, and sends each member exactly once', async () => {
  const { c, addresses, progress, got, r } = await runToEnd(23, { pageSize: 2, chunksInFlight: 3 });
  assert.equal(progress.status, 'completed');
  // The audience is every loyal member in the store, this test's among them.
  assert.equal(progress.pages, Math.ceil(r.audienceSize / 2));
  assert.equal(got.length, addresses.size);
  assert.deepEqual(new Set(got), addresses);
  assert.equal(r.unaccounted, 0);
  assert.equal(progress.handled, r.audienceSize);
  assert.equal(
    Object.values(r.outcomes).reduce((a, n) => a + n, 0),
    r.audienceSize,
  );
  const [events] = await histories(`campaign:${c.id}`);
  assert.equal(mostOpen(events!), 3);
  assert.ok(
    events!.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch'),
    'the overlapped loop is behind a patch marker',
  );
});

test('a bound of one runs the chunks one after another', async () => {
  const { c, progress, r } = await runToEnd(7, { pageSize: 2, chunksInFlight: 1 });
  assert.equal(progress.pages, Math.ceil(r.audienceSize / 2));
  assert.equal(progress.handled, r.audienceSize);
  assert.equal(r.unaccounted, 0);
  assert.equal(mostOpen((await histories(`campaign:${c.id}`))[0]!), 1);
});

test('an overlapped broadcast hands over to a fresh execution only with no chunk in flight, and misses no one', async () => {
  const { c, addresses, progress, got, r } = await runToEnd(17, { pageSize: 2, chunksInFlight: 3, pagesPerRun: 4 });
  assert.equal(progress.status, 'completed');
  assert.equal(progress.handled, r.audienceSize);
  assert.equal(r.unaccounted, 0);
  assert.deepEqual(got.sort(), [...addresses].sort());
  const runs = await histories(`campaign:${c.id}`);
  assert.ok(runs.length >= 2, 'continued as new');
  for (const events of runs.slice(0, -1)) {
    // The hand-over comes after every chunk of that execution closed.
    const last = events.at(-1)!;
    assert.ok(last.workflowExecutionContinuedAsNewEventAttributes, 'ends by continuing as new');
    assert.deepEqual(openChunks(events).atEnd, 0, 'no chunk left open at the hand-over');
    assert.ok(mostOpen(events) <= 3);
  }
});

test('a frequency-capped broadcast sends within the cap, and a second capped broadcast to the same people is capped', async () => {
  const cap = { channel: 'email' as const, max: 1, per: '7d' };
  const first = await runToEnd(9, { pageSize: 4, chunksInFlight: 2 }, promo(cap));
  assert.deepEqual(first.got.sort(), [...first.addresses].sort(), 'everyone under the cap is sent to');
  assert.equal(first.r.unaccounted, 0);
  const second = await runToEnd(0, { pageSize: 4, chunksInFlight: 2 }, promo(cap));
  assert.equal(second.r.unaccounted, 0);
  assert.ok((second.r.reasons.frequency_capped ?? 0) >= first.addresses.size, JSON.stringify(second.r));
  const mine = engine.sink.received.filter((m) => m.envelopeTo.some((a) => first.addresses.has(a)));
  assert.equal(mine.length, first.addresses.size, 'the second campaign sent them nothing');
});
