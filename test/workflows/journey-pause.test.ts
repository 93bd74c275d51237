import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reconcileRun } from '../../infra/redis/run-reconcile.js';
import { controlCampaign } from '../../infra/temporal/campaign-control.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import { journeyWorkflowId } from '../../domain/run.js';
import type { JourneyState } from '../../workflows/signals.js';
import { eventually, scheduledActivities } from '../helpers/engine.js';
import {
  engine,
  send,
  journeyCampaign,
  clickThenSend,
  subject,
  mailsTo,
  registeredRun,
  startJourney,
  holding,
  heldAtSend,
  resumedToSend,
  waitingForClick,
} from '../helpers/paused-journeys.js';

test('a pause right after enrolment holds the new journey through the run registry, and resume lets it send', async () => {
  const { ref, address } = await subject();
  const c = clickThenSend();
  const res = await startCampaign(
    engine.client,
    c,
    { subjectRefs: [ref] },
    { taskQueue: engine.taskQueue, campaignVersion: 'v-test', runs: engine.services.runs },
  );
  assert.equal(res.kind, 'journeys');
  // No wait for visibility: the pause finds the journey in its run's registry.
  assert.equal(await controlCampaign(engine.client, engine.services.runs, c.id, 'pause'), 'signalled');
  const journey = engine.client.workflow.getHandle(journeyWorkflowId(c.id, ref));
  await journey.signal('engagement', { v: 1, event: 'clicked' });
  await heldAtSend(journey, address);

  await resumedToSend(c, engine.services.runs, journey, address);
});

test('a journey that starts after its run was paused reads the pause and sends nothing until resume', async () => {
  const { ref, address } = await subject();
  const c = journeyCampaign([send]);
  const { runs, runId, id } = await registeredRun(c, ref);
  // Registered, not started: the signal finds nothing, the run's flag is what holds the journey.
  assert.equal(await controlCampaign(engine.client, runs, c.id, 'pause'), 'not_running');
  await startJourney(c, ref, runId, id);
  const journey = engine.client.workflow.getHandle(id);
  await heldAtSend(journey, address);

  assert.equal(await controlCampaign(engine.client, runs, c.id, 'resume'), 'signalled');
  const done = (await journey.result()) as JourneyState;
  assert.deepEqual(
    done.history.map((h) => [h.stepId, h.outcome]),
    [['send-1', 'sent']],
  );
  assert.equal(mailsTo(address), 1);
  assert.equal(await runs.journeys.paused(runId), false, 'resume clears the flag');
});

test('cancel ends a waiting journey before its send, logged as exited; a resume after it revives nothing', async () => {
  const { ref, address } = await subject();
  const c = clickThenSend();
  const runs = engine.services.runs;
  const res = await startCampaign(
    engine.client,
    c,
    { subjectRefs: [ref] },
    { taskQueue: engine.taskQueue, campaignVersion: 'v-test', runs },
  );
  assert.equal(res.kind, 'journeys');
  const journey = engine.client.workflow.getHandle(journeyWorkflowId(c.id, ref));
  await eventually(
    async () => ((await journey.query<JourneyState>('journeyState')).currentStep === 'wait-click' ? true : undefined),
    30_000,
    'the journey to wait for the click',
  );
  assert.equal(await controlCampaign(engine.client, runs, c.id, 'cancel'), 'signalled');
  const done = (await journey.result()) as JourneyState;
  assert.equal(done.status, 'exited');
  assert.equal(done.exitReason, 'campaign_cancelled');
  assert.ok(!(await scheduledActivities(journey)).includes('sendStep'), 'no send was scheduled');
  assert.equal(mailsTo(address), 0);

  // The run accounts for the member: its journey ended, logged with why.
  const run = (await runs.get(res.runId))!;
  const r = await reconcileRun(runs, engine.services.ledger, { ...run, status: 'finished' });
  assert.deepEqual(r.outcomes, { exited: 1 });
  assert.equal(r.reasons.campaign_cancelled, 1);
  assert.equal(r.unaccounted, 0);

  // Pause and resume leave a cancelled run cancelled.
  await controlCampaign(engine.client, runs, c.id, 'pause');
  await controlCampaign(engine.client, runs, c.id, 'resume');
  assert.equal(await runs.journeys.state(res.runId), 'cancelled');
});

test('a journey that starts after its run was cancelled ends at once, before any step', async () => {
  const { ref, address } = await subject();
  const c = journeyCampaign([send]);
  const { runs, runId, id } = await registeredRun(c, ref);
  // Registered, not started: nothing takes the signal, the run's flag is what ends the journey.
  assert.equal(await controlCampaign(engine.client, runs, c.id, 'cancel'), 'not_running');
  await startJourney(c, ref, runId, id);
  const journey = engine.client.workflow.getHandle(id);
  const done = (await journey.result()) as JourneyState;
  assert.deepEqual([done.status, done.exitReason, done.history], ['exited', 'campaign_cancelled', []]);
  assert.ok(!(await scheduledActivities(journey)).includes('sendStep'), 'no send was scheduled');
  assert.equal(mailsTo(address), 0);
});

test('a journey whose cancel signal never came sends nothing after its wait: the send step reads the run flag, logs the member as not eligible and the journey exits', async () => {
  const { ref, address } = await subject();
  const { runs, runId, id, journey } = await waitingForClick(ref);
  // The flag alone, as when Temporal was down while the operator cancelled: no signal reaches the journey.
  await runs.journeys.setCancelled(runId);
  await journey.signal('engagement', { v: 1, event: 'clicked' });
  const done = (await journey.result()) as JourneyState;
  assert.deepEqual([done.status, done.exitReason], ['exited', 'campaign_cancelled']);
  assert.deepEqual(
    done.history.map((h) => [h.stepId, h.outcome, h.reasons ?? []]),
    [
      ['wait-click', 'then', []],
      ['send-1', 'not_eligible', ['run_cancelled']],
    ],
  );
  assert.equal(mailsTo(address), 0);
  // Accounted for on the send step, logged with why; the journey's end is logged too.
  const rec = await engine.services.ledger.lookup([{ ref, scope: `${id}:send-1` }]);
  assert.deepEqual([rec[0]?.outcome, rec[0]?.reasons], ['not_eligible', ['run_cancelled']]);
  const run = (await runs.get(runId))!;
  const r = await reconcileRun(runs, engine.services.ledger, { ...run, status: 'finished' });
  assert.equal(r.unaccounted, 0);
});

test('a journey whose pause signal never came sends nothing after its wait: the send step reads the run flag and the journey holds until resumed', async () => {
  const { ref, address } = await subject();
  const { c, runs, runId, journey } = await waitingForClick(ref);
  // The flag alone, as when Temporal was down while the operator paused: no signal reaches the journey.
  await runs.journeys.setPaused(runId, true);
  await journey.signal('engagement', { v: 1, event: 'clicked' });
  const held = await holding(journey);
  assert.ok(!held.history.some((h) => h.stepId === 'send-1'), 'the held attempt is not a step outcome');
  assert.ok((await scheduledActivities(journey)).includes('sendStep'), 'the send step ran and found the run paused');
  assert.equal(mailsTo(address), 0);

  await resumedToSend(c, runs, journey, address);
});
