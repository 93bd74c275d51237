import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { defineCampaign } from '../../domain/campaign.js';
import type { SubjectRef } from '../../domain/ids.js';
import { reconcileRun } from '../../infra/redis/run-reconcile.js';
import { controlCampaign } from '../../infra/temporal/campaign-control.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { consentEvent, ended, eventually, scheduledActivities, useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();

const promo = (id = uniqueId('promo')) =>
  defineCampaign({
    id,
    name: 'Promo',
    description: 'test broadcast',
    purpose: 'marketing.email.promotions',
    audience: { segment: 'loyal-members' },
    steps: [
      { id: 'send-promo', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
    ],
    options: { kind: 'broadcast', holdoutPercent: 0 },
  });

/** Seeds `n` loyalty members; every `deniedEvery`-th has an outdated notice. Returns refs and addresses. */
async function seedMembers(
  tag: string,
  n: number,
  deniedEvery = 0,
): Promise<Array<{ ref: SubjectRef; address: string; allowed: boolean }>> {
  const rows = Array.from({ length: n }, (_, i) => ({
    subjectId: `${tag}-${i}`,
    fields: {
      email: `${tag}-${i}@example.org`,
      first_name: `N${i}`,
      loyalty_tier: i % 7 === 0 ? 'silver' : 'gold',
      preferred_store: 'Berlin Mitte',
      last_name: 'Neverrendered',
    },
  }));
  const written = await engine.services.subjects.upsertMany(rows);
  const out: Array<{ ref: SubjectRef; address: string; allowed: boolean }> = [];
  const appends: Promise<unknown>[] = [];
  written.forEach((w, i) => {
    if (w.status !== 'written') throw new Error('seed refused');
    const outdated = deniedEvery > 0 && i % deniedEvery === 0;
    appends.push(
      engine.services.consent.append(
        consentEvent(w.ref, { purpose: 'marketing.email.promotions', noticeVersion: outdated ? 2 : 3 }),
      ),
    );
    out.push({
      ref: w.ref,
      address: rows[i]!.fields.email,
      allowed: rows[i]!.fields.loyalty_tier === 'gold' && !outdated,
    });
  });
  await Promise.all(appends);
  return out;
}

test('a broadcast pages through the segment and guards, logs and sends each member once', async () => {
  const members = await seedMembers(uniqueId('b'), 40, 5);
  const c = promo();
  const res = await startCampaign(
    engine.client,
    c,
    { segment: 'loyal-members' },
    { taskQueue: engine.taskQueue, campaignVersion: 'v-test', pageSize: 7, runs: engine.services.runs },
  );
  assert.equal(res.kind, 'run');
  const progress = (await engine.client.workflow.getHandle(`campaign:${c.id}`).result()) as CampaignProgress;
  const mine = new Set(members.map((m) => m.address));
  const got = engine.sink.received.filter((m) => m.envelopeTo.some((a) => mine.has(a)));
  const allowed = members.filter((m) => m.allowed);
  assert.equal(got.length, allowed.length);
  assert.deepEqual(new Set(got.flatMap((m) => m.envelopeTo)), new Set(allowed.map((m) => m.address)));
  assert.equal(progress.status, 'completed');
  assert.ok(progress.pages > 1, 'more than one page');
  assert.ok((progress.counts.denied ?? 0) >= 1, 'outdated notices are denied and counted');
  // A second start of the same campaign sends nobody anything new: the per-subject ledger holds.
  await startCampaign(
    engine.client,
    c,
    { segment: 'loyal-members' },
    { taskQueue: engine.taskQueue, campaignVersion: 'v-test', pageSize: 7, runs: engine.services.runs },
  );
  const again = (await engine.client.workflow.getHandle(`campaign:${c.id}`).result()) as CampaignProgress;
  assert.equal(again.counts.sent ?? 0, 0);
  assert.equal(engine.sink.received.filter((m) => m.envelopeTo.some((a) => mine.has(a))).length, allowed.length);
});

test('pause holds a running broadcast and resume lets it finish', async () => {
  await seedMembers(uniqueId('p'), 30);
  const c = promo();
  await startCampaign(
    engine.client,
    c,
    { segment: 'loyal-members' },
    {
      taskQueue: engine.taskQueue,
      campaignVersion: 'v-test',
      pageSize: 2,
      chunksInFlight: 2,
      runs: engine.services.runs,
    },
  );
  const handle = engine.client.workflow.getHandle(`campaign:${c.id}`);
  await handle.signal('pause');
  const paused = await eventually(async () => {
    const p = await handle.query<CampaignProgress>('progress');
    return p.status === 'paused' ? p : undefined;
  });
  await new Promise((r) => setTimeout(r, 1500));
  const still = await handle.query<CampaignProgress>('progress');
  assert.ok(still.pages <= paused.pages + 2, 'at most the chunks in flight complete while paused');
  await handle.signal('resume');
  const done = (await handle.result()) as CampaignProgress;
  assert.equal(done.status, 'completed');
});

/**
 * A broadcast of `n` new members, started with `opts`, once its first send reached the SMTP server. Their sends wait at
 * RCPT until `release()`, so the run cannot finish before what the test does next, however fast it sends.
 */
async function heldAtRcpt(tag: string, n: number, opts: { timeScale?: number } = {}) {
  const seeded = await seedMembers(uniqueId(tag), n);
  const members = new Set(seeded.map((m) => m.address));
  let held = 0;
  let release!: () => void;
  engine.sink.holdRecipients((a) => members.has(a) && ++held > 0, new Promise<void>((r) => (release = r)));
  const c = promo();
  const run = await startCampaign(
    engine.client,
    c,
    { segment: 'loyal-members' },
    { taskQueue: engine.taskQueue, campaignVersion: 'v-test', pageSize: 2, runs: engine.services.runs, ...opts },
  );
  const handle = engine.client.workflow.getHandle(`campaign:${c.id}`);
  await eventually(async () => (held >= 1 ? true : undefined), 30_000, 'a send of the run to reach the SMTP server');
  return { c, run, handle, seeded, release };
}

test('a cancelled broadcast still accounts for everyone: members it never reached are logged as not eligible, run_cancelled', async () => {
  const { run, handle, release } = await heldAtRcpt('x', 30);
  await handle.signal('cancel');
  release();
  const done = (await handle.result()) as CampaignProgress;
  assert.equal(done.status, 'cancelled');
  const r = await reconcileRun(
    engine.services.runs,
    engine.services.ledger,
    (await engine.services.runs.get(run.runId))!,
  );
  assert.equal(r.unaccounted, 0);
  assert.ok((r.outcomes.sent ?? 0) >= 1 && (r.reasons.run_cancelled ?? 0) >= 1, JSON.stringify(r));
  assert.equal(
    Object.values(r.outcomes).reduce((a, n) => a + n, 0),
    r.audienceSize,
  );
});

/** A broadcast of `n` members paused by its operator after its first send reached the SMTP server, with its run id. */
async function pausedBroadcast(n: number) {
  // The hour a held broadcast waits before re-reading its run's flag, scaled to under a second.
  const { c, run, handle, seeded, release } = await heldAtRcpt('h', n, { timeScale: 2e-4 });
  assert.equal(await controlCampaign(engine.client, engine.services.runs, c.id, 'pause'), 'signalled');
  release();
  await eventually(async () => {
    const p = await handle.query<CampaignProgress>('progress');
    return p.status === 'paused' ? p : undefined;
  });
  return { handle, runId: run.runId, seeded };
}

/** Rechecks of the run flag the broadcast has made so far. */
const flagReads = async (handle: WorkflowHandle) =>
  (await scheduledActivities(handle)).filter((name) => name === 'journeyHeld').length;

test('a paused broadcast whose resume signal never came finishes once its recheck reads the run flag as resumed', async () => {
  const { handle, runId, seeded } = await pausedBroadcast(12);
  // The flag alone, as when Temporal was down while the operator resumed: no resume signal reaches the broadcast.
  await engine.services.runs.journeys.setPaused(runId, false);
  const done = await ended<CampaignProgress>(handle, 'the broadcast');
  assert.equal(done.status, 'completed');
  assert.ok((await flagReads(handle)) >= 1, 'the broadcast read its run flag while held');
  const r = await reconcileRun(engine.services.runs, engine.services.ledger, (await engine.services.runs.get(runId))!);
  assert.equal(r.unaccounted, 0);
  // Each of these members the guard allows got the message once; the others none.
  const mails = (address: string) => engine.sink.received.filter((m) => m.envelopeTo.includes(address)).length;
  assert.deepEqual(
    seeded.map((m) => [m.address, mails(m.address)]),
    seeded.map((m) => [m.address, m.allowed ? 1 : 0]),
  );
});

test('a paused broadcast holds while its run flag stays paused, and is cancelled when the flag alone says so', async () => {
  const { handle, runId } = await pausedBroadcast(12);
  await eventually(
    async () => ((await flagReads(handle)) >= 2 ? true : undefined),
    30_000,
    'two rechecks of the run flag',
  );
  assert.equal((await handle.query<CampaignProgress>('progress')).status, 'paused');
  // The flag alone, as when Temporal was down while the operator cancelled.
  await engine.services.runs.journeys.setCancelled(runId);
  const done = await ended<CampaignProgress>(handle, 'the broadcast');
  assert.equal(done.status, 'cancelled');
  const r = await reconcileRun(engine.services.runs, engine.services.ledger, (await engine.services.runs.get(runId))!);
  assert.equal(r.unaccounted, 0);
  assert.ok((r.reasons.run_cancelled ?? 0) >= 1, JSON.stringify(r));
});
