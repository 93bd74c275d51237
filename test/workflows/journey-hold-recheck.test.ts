import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { reconcileRun } from '../../infra/redis/run-reconcile.js';
import { controlCampaign } from '../../infra/temporal/campaign-control.js';
import type { JourneyState } from '../../workflows/signals.js';
import { ended, eventually, scheduledActivities } from '../helpers/engine.js';
import { engine, subject, mailsTo, heldAtSend, sentOnce, waitingForClick } from '../helpers/paused-journeys.js';

// A held journey whose resume or cancel signal was lost reads its run's flag again (workflows/run-hold.ts).

// The hour a held journey waits before re-reading its run's flag, scaled to under a second (the click window of a
// day to about 17 s).
const RECHECK_SCALE = 2e-4;

/** How many times the journey has read its run's flag (once at its start, then once per recheck while held). */
const flagReads = async (handle: WorkflowHandle) =>
  (await scheduledActivities(handle)).filter((name) => name === 'journeyHeld').length;

/** A click-then-send journey (rechecks scaled) its operator paused, clicked and so holding before its send. */
async function pausedAtSend() {
  const { ref, address } = await subject();
  const { c, runs, runId, journey } = await waitingForClick(ref, RECHECK_SCALE);
  assert.equal(await controlCampaign(engine.client, runs, c.id, 'pause'), 'signalled');
  await journey.signal('engagement', { v: 1, event: 'clicked' });
  await heldAtSend(journey, address);
  return { address, runs, runId, journey };
}

test('a held journey whose resume signal never came sends once its recheck reads the run flag as resumed', async () => {
  const { address, runs, runId, journey } = await pausedAtSend();
  // The flag alone, as when Temporal was down while the operator resumed: no resume signal reaches the journey.
  await runs.journeys.setPaused(runId, false);
  sentOnce(await ended<JourneyState>(journey, 'the journey'), address);
  assert.ok((await flagReads(journey)) >= 2, 'the journey read the flag again while held');
});

test('a held journey keeps holding while its run flag stays paused, and ends when the flag alone says cancelled', async () => {
  const { address, runs, runId, journey } = await pausedAtSend();
  // Two rechecks find the run still paused: the journey holds on, nothing is sent.
  const reads = await flagReads(journey);
  await eventually(
    async () => ((await flagReads(journey)) >= reads + 2 ? true : undefined),
    30_000,
    'two rechecks of the run flag',
  );
  await heldAtSend(journey, address);
  // The flag alone, as when Temporal was down while the operator cancelled.
  await runs.journeys.setCancelled(runId);
  const done = await ended<JourneyState>(journey, 'the journey');
  assert.deepEqual([done.status, done.exitReason], ['exited', 'campaign_cancelled']);
  assert.deepEqual(
    done.history.map((h) => [h.stepId, h.outcome]),
    [['wait-click', 'then']],
  );
  assert.ok(!(await scheduledActivities(journey)).includes('sendStep'), 'no send was scheduled');
  assert.equal(mailsTo(address), 0);
  // The run accounts for the member: its journey ended, logged with why.
  const run = (await runs.get(runId))!;
  const r = await reconcileRun(runs, engine.services.ledger, { ...run, status: 'finished' });
  assert.deepEqual(r.outcomes, { exited: 1 });
  assert.equal(r.reasons.campaign_cancelled, 1);
  assert.equal(r.unaccounted, 0);
});
