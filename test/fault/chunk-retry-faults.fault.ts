import { test } from 'node:test';
import assert from 'node:assert/strict';
import proto from '@temporalio/proto';
import { uniqueId } from '../helpers/services.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { scenario, type Scenario } from './harness.js';
import { audit, mailed, promo, seedMembers, start, until } from './scenario-runs.js';

// A worker killed while Temporal's retries of chunks it lost run, with several chunks in flight: the retried
// attempts resume reservations their dead predecessors left, and are themselves cut short. Real services as in the
// rest of the fault suite; figures go to stdout for the closing notes.
/** Chunk attempts after the first that a worker is running now, as the server describes the broadcast. */
async function retriesRunning(s: Scenario, campaignId: string): Promise<number> {
  const d = await s.temporal.workflow.getHandle(`campaign:${campaignId}`).describe();
  return (d.raw.pendingActivities ?? []).filter(
    (a) =>
      a.activityType?.name === 'sendBroadcastChunk' &&
      (a.attempt ?? 1) > 1 &&
      a.state === proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
  ).length;
}

test('kill -9 of the worker while retried chunks run, four in flight: every member accounted for, one Message-ID each', async () => {
  const s = await scenario(uniqueId('retry-kill'));
  try {
    const members = await seedMembers(s, uniqueId('rk'), 2200);
    const addresses = new Set(members.map((m) => m.address));
    const c = promo();
    const runId = await start(s, c, { chunksInFlight: 4 });
    await until('300 deliveries', () => mailed(s, addresses) >= 300);
    await s.killWorker();
    const atFirstKill = mailed(s, addresses);
    s.startWorker();
    // The chunks the kill cut short come back as attempt 2 on the new worker; it dies while they deliver.
    await until('retried chunks running', async () => (await retriesRunning(s, c.id)) > 0);
    const retried = await retriesRunning(s, c.id);
    await until('deliveries by the retries', () => mailed(s, addresses) >= atFirstKill + 100);
    await s.killWorker();
    const atSecondKill = mailed(s, addresses);
    s.startWorker();
    const done = (await s.temporal.workflow.getHandle(`campaign:${c.id}`).result()) as CampaignProgress;
    assert.equal(done.status, 'completed');
    const a = await audit(s, c.id, runId, members);
    assert.ok(atSecondKill < (a.reconciliation.outcomes.sent ?? 0), 'the second kill landed mid-broadcast');
    console.log(
      `[fault] chunk-retry-kill ${JSON.stringify({
        audience: a.reconciliation.audienceSize,
        outcomes: a.reconciliation.outcomes,
        unaccounted: a.reconciliation.unaccounted,
        emails: a.emails,
        duplicates: a.duplicates,
        retriesRunningAtKill: retried,
        sentAtKills: [atFirstKill, atSecondKill],
        redecisions: a.redecisions,
      })}`,
    );
  } finally {
    await s.close();
  }
});
