import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holdout } from '../../domain/campaign.js';
import type { SubjectRef } from '../../domain/ids.js';
import { uniqueId } from '../helpers/services.js';
import { scenario, type Scenario } from './harness.js';
import { audit, finish, journeysToEnd, mailed, promo, seedMembers, start } from './scenario-runs.js';

type Members = Awaited<ReturnType<typeof seedMembers>>;

/** A broadcast to the segment and a batch of journeys at the same time, until both have ended. */
async function broadcastAndJourneys(s: Scenario, named: readonly SubjectRef[]) {
  const campaign = promo();
  const t0 = Date.now();
  const runId = await start(s, campaign);
  const [journeys] = await Promise.all([journeysToEnd(s, named), finish(s, campaign.id)]);
  return { ms: Date.now() - t0, campaign, runId, journeys };
}

test('two workers on one task queue share a broadcast and a batch of journeys: no subject lost, none mailed twice', async () => {
  const s = await scenario(uniqueId('two-workers'));
  try {
    const members: Members = await seedMembers(s, uniqueId('tw'), 2200);
    const addresses = new Set(members.map((m) => m.address));
    const named = members
      .filter((m) => m.inSegment)
      .slice(0, 200)
      .map((m) => m.ref);
    // The same workload with one worker and then with two, for the figure the issue asks for.
    const solo = await broadcastAndJourneys(s, named);
    await audit(s, solo.campaign.id, solo.runId, members, solo.journeys.scopes);
    s.startWorker();
    await new Promise((r) => setTimeout(r, 3_000));
    const before = mailed(s, addresses);
    const pair = await broadcastAndJourneys(s, named);
    const a = await audit(s, pair.campaign.id, pair.runId, members, [
      `campaign:${solo.campaign.id}:send-promo`,
      ...solo.journeys.scopes,
      ...pair.journeys.scopes,
    ]);
    const perAddress = new Map<string, Set<string | undefined>>();
    for (const m of s.sink.received.slice(0))
      for (const addr of m.envelopeTo)
        if (addresses.has(addr)) (perAddress.get(addr) ?? perAddress.set(addr, new Set()).get(addr)!).add(m.messageId);
    // Each named subject got both journeys' emails and each broadcast's that did not hold it out: one Message-ID each.
    for (const ref of named) {
      const broadcasts = [solo, pair].filter((r) => !holdout(ref, r.campaign.id, r.campaign.options.holdoutPercent));
      assert.equal(perAddress.get(members.find((m) => m.ref === ref)!.address)?.size, 2 + broadcasts.length);
    }
    console.log(
      `[fault] two-workers ${JSON.stringify({
        oneWorkerMs: solo.ms,
        twoWorkersMs: pair.ms,
        twoOverOneThroughput: Math.round((solo.ms / pair.ms) * 100) / 100,
        sentBefore: before,
        outcomes: a.reconciliation.outcomes,
        duplicates: a.duplicates,
      })}`,
    );
  } finally {
    await s.close();
  }
});
