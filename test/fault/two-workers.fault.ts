import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holdout } from '../../domain/campaign.js';
import { uniqueId } from '../helpers/services.js';
import { scenario } from './harness.js';
import { audit, finish, journeysToEnd, mailed, promo, seedMembers, start } from './scenario-runs.js';

// The figure for one worker against two on the same workload is the broadcast bench's (`--workers 2`); this test
// proves two workers lose and duplicate nothing while a broadcast and a batch of journeys share them.
test('two workers on one task queue share a broadcast and a batch of journeys: no subject lost, none mailed twice', async () => {
  const s = await scenario(uniqueId('two-workers'));
  try {
    const members = await seedMembers(s, uniqueId('tw'), 2200);
    const addresses = new Set(members.map((m) => m.address));
    // One worker first.
    const solo = promo();
    const t0 = Date.now();
    const soloRun = await start(s, solo);
    await finish(s, solo.id);
    const oneWorkerMs = Date.now() - t0;
    await audit(s, solo.id, soloRun, members);
    s.startWorker();
    await new Promise((r) => setTimeout(r, 3_000));
    const before = mailed(s, addresses);
    const pair = promo();
    const t1 = Date.now();
    const runId = await start(s, pair);
    const named = members
      .filter((m) => m.inSegment)
      .slice(0, 200)
      .map((m) => m.ref);
    const [journeys] = await Promise.all([journeysToEnd(s, named), finish(s, pair.id)]);
    const twoWorkersMs = Date.now() - t1;
    const a = await audit(s, pair.id, runId, members, [`campaign:${solo.id}:send-promo`, ...journeys.scopes]);
    const perAddress = new Map<string, Set<string | undefined>>();
    for (const m of s.sink.received.slice(0))
      for (const addr of m.envelopeTo)
        if (addresses.has(addr)) (perAddress.get(addr) ?? perAddress.set(addr, new Set()).get(addr)!).add(m.messageId);
    // Each named subject got the journey's email and each broadcast's that did not hold it out: one Message-ID each.
    for (const ref of named) {
      const expected = 1 + [solo, pair].filter((c) => !holdout(ref, c.id, c.options.holdoutPercent)).length;
      assert.equal(perAddress.get(members.find((m) => m.ref === ref)!.address)?.size, expected);
    }
    console.log(
      `[fault] two-workers ${JSON.stringify({
        oneWorkerBroadcastMs: oneWorkerMs,
        twoWorkersBroadcastAndJourneysMs: twoWorkersMs,
        sentBefore: before,
        outcomes: a.reconciliation.outcomes,
        duplicates: a.duplicates,
      })}`,
    );
  } finally {
    await s.close();
  }
});
