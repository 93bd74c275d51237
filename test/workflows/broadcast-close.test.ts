import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineCampaign } from '../../domain/campaign.js';
import { reconcileRun } from '../../infra/redis/run-reconcile.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { scheduledActivities, useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();

const promo = () =>
  defineCampaign({
    id: uniqueId('close'),
    name: 'Close',
    description: 'closing a broadcast run',
    purpose: 'marketing.email.promotions',
    audience: { segment: 'loyal-members' },
    steps: [{ id: 'send', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' }],
    options: { kind: 'broadcast', holdoutPercent: 0 },
  });

async function seed(tag: string, n: number): Promise<string[]> {
  const addresses: string[] = [];
  for (let i = 0; i < n; i++) {
    const email = `${tag}-${i}@example.org`;
    // Every fourth is silver (outside the segment), every third has no consent (dropped by the pre-filter).
    await engine.seed(
      `${tag}-${i}`,
      { email, first_name: `N${i}`, loyalty_tier: i % 4 === 0 ? 'silver' : 'gold', preferred_store: 'Mitte' },
      i % 3 === 0 ? [] : [{ purpose: 'marketing.email.promotions' }],
    );
    addresses.push(email);
  }
  return addresses;
}

/** The broadcast's activities by type, from its recorded history. */
async function activities(workflowId: string): Promise<Record<string, number>> {
  const n: Record<string, number> = {};
  for (const name of await scheduledActivities(engine.client.workflow.getHandle(workflowId)))
    n[name] = (n[name] ?? 0) + 1;
  return n;
}

async function run(c: ReturnType<typeof promo>, opts: { deferral?: { baseMs: number; maxAttempts: number } } = {}) {
  const started = await startCampaign(
    engine.client,
    c,
    { segment: 'loyal-members' },
    { taskQueue: engine.taskQueue, campaignVersion: 'v-close', pageSize: 4, runs: engine.services.runs, ...opts },
  );
  assert.equal(started.kind, 'run');
  const progress = (await engine.client.workflow.getHandle(`campaign:${c.id}`).result()) as CampaignProgress;
  const record = (await engine.services.runs.get(started.kind === 'run' ? started.runId : ''))!;
  return { progress, record, seen: await activities(`campaign:${c.id}`) };
}

test('a broadcast whose pages accounted for everyone closes in one reading: one sweep, no retry, no second pass', async () => {
  await seed(uniqueId('one'), 14);
  const c = promo();
  const { progress, record, seen } = await run(c);
  assert.equal(progress.status, 'completed');
  assert.deepEqual(
    [seen.sweepRun, seen.retryDeferred ?? 0, seen.finishRun ?? 0],
    [1, 0, 0],
    `activities: ${JSON.stringify(seen)}`,
  );
  // The sweep closed the run as the finish would: finished, one summary entry, every member with its outcome.
  assert.equal(record.status, 'finished');
  assert.ok(record.summaryEntryId, 'the summary entry is written');
  const again = await reconcileRun(engine.services.runs, engine.services.ledger, record);
  assert.equal(again.unaccounted, 0);
  assert.deepEqual(progress.outcomes, again.outcomes);
  assert.equal(
    Object.values(again.outcomes).reduce((a, x) => a + x, 0),
    record.audienceSize,
  );
  assert.ok((again.outcomes.sent ?? 0) > 0 && (again.outcomes.not_eligible ?? 0) > 0, JSON.stringify(again.outcomes));
});

test('a member still waiting after the pages keeps the run open: swept, retried when due, then closed with it sent', async () => {
  const addresses = await seed(uniqueId('wait'), 14);
  // One member in the audience (gold, consenting) greylisted once: it is deferred, not accounted, by the pages.
  const slow = addresses[1]!;
  engine.sink.failRecipients((a) => a === slow, 451, '4.7.1 greylisted, try again later', 1);
  const c = promo();
  const { progress, record, seen } = await run(c, { deferral: { baseMs: 200, maxAttempts: 4 } });
  assert.equal(progress.status, 'completed');
  assert.ok(seen.retryDeferred! >= 1, `the waiting member is retried: ${JSON.stringify(seen)}`);
  // The first sweep found it pending and left the run open; a later one closed it, so no separate finish ran.
  assert.equal(seen.sweepRun, 2, JSON.stringify(seen));
  assert.equal(seen.finishRun ?? 0, 0);
  assert.equal(record.status, 'finished');
  assert.equal(engine.sink.received.filter((m) => m.envelopeTo.includes(slow)).length, 1, 'sent once, when due');
  const again = await reconcileRun(engine.services.runs, engine.services.ledger, record);
  assert.equal(again.unaccounted, 0);
  assert.deepEqual(progress.outcomes, again.outcomes);
});
