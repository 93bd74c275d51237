import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { ulid } from 'ulid';
import { defineCampaign, type Campaign } from '../../domain/campaign.js';
import type { SubjectRef } from '../../domain/ids.js';
import { journeyWorkflowId } from '../../domain/run.js';
import { reconcileRun } from '../../infra/redis/run-reconcile.js';
import type { RunStore } from '../../infra/redis/run-store.js';
import { controlCampaign } from '../../infra/temporal/campaign-control.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import { journeyStarter } from '../../infra/temporal/journeys.js';
import type { JourneyState } from '../../workflows/signals.js';
import { ended, eventually, scheduledActivities, useEngine } from '../helpers/engine.js';
import { registerJourneyRun } from '../helpers/journey-run.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();

const send = { id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' } as const;
const journeyCampaign = (steps: Campaign['steps']) =>
  defineCampaign({
    id: uniqueId('pause'),
    name: 'Paused journey',
    description: 'a journey held by a pause',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'loyal-members' },
    steps,
  });

/** A journey that waits up to a day for a click, then sends. */
const clickThenSend = () =>
  journeyCampaign([
    {
      id: 'wait-click',
      type: 'branch',
      condition: { kind: 'event', event: 'clicked', within: '1d' },
      then: 'send-1',
      otherwise: 'done',
    },
    send,
    { id: 'done', type: 'exit' },
  ]);

async function subject(): Promise<{ ref: SubjectRef; address: string }> {
  const address = `${uniqueId('held')}@example.org`;
  const ref = await engine.seed(uniqueId('held'), { email: address, first_name: 'Ada' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  return { ref, address };
}

const mailsTo = (address: string) => engine.sink.received.filter((m) => m.envelopeTo.includes(address)).length;

/** A run with the subject as its one member and its journey registered, not started yet. */
async function registeredRun(c: Campaign, ref: SubjectRef): Promise<{ runs: RunStore; runId: string; id: string }> {
  const runs = engine.services.runs;
  const runId = ulid();
  const id = journeyWorkflowId(c.id, ref);
  await registerJourneyRun(runs, { runId, campaignId: c.id, sendSteps: ['send-1'] }, ref, id);
  return { runs, runId, id };
}

/** Starts the journey the way enrolment does, for the run (its waits scaled by `timeScale` when given). */
async function startJourney(
  c: Campaign,
  ref: SubjectRef,
  runId: string,
  id: string,
  timeScale?: number,
): Promise<void> {
  const started = await journeyStarter(engine.client, engine.taskQueue)(id, {
    v: 1,
    campaign: c,
    campaignVersion: 'v-test',
    subjectRef: ref,
    runId,
    ...(timeScale ? { timeScale } : {}),
  });
  assert.equal(started, 'started');
}

/** The journey's state once it holds at its send step. */
const holding = (handle: WorkflowHandle): Promise<JourneyState> =>
  eventually(
    async () => {
      const s = await handle.query<JourneyState>('journeyState');
      return s.currentStep === 'send-1' && s.paused ? s : undefined;
    },
    30_000,
    'the journey to hold at its send step',
  );

/** Waits until the journey holds before its send step, and checks that no send was attempted. */
async function heldAtSend(handle: WorkflowHandle, address: string): Promise<void> {
  const held = await holding(handle);
  assert.ok(!held.history.some((h) => h.stepId === 'send-1'), 'the send step has not run');
  assert.ok(!(await scheduledActivities(handle)).includes('sendStep'), 'no send was scheduled');
  assert.equal(mailsTo(address), 0);
}

/** Resumes the campaign and checks its click-then-send journey then sends, once. */
async function resumedToSend(c: Campaign, runs: RunStore, journey: WorkflowHandle, address: string): Promise<void> {
  assert.equal(await controlCampaign(engine.client, runs, c.id, 'resume'), 'signalled');
  sentOnce((await journey.result()) as JourneyState, address);
}

/** Checks that the click-then-send journey ended having sent to the subject, once. */
function sentOnce(done: JourneyState, address: string): void {
  assert.deepEqual(
    done.history.map((h) => [h.stepId, h.outcome]),
    [
      ['wait-click', 'then'],
      ['send-1', 'sent'],
      ['done', 'exit'],
    ],
  );
  assert.equal(mailsTo(address), 1);
}

/** A registered, started click-then-send journey of the subject, waiting for the click. */
async function waitingForClick(ref: SubjectRef, timeScale?: number) {
  const c = clickThenSend();
  const { runs, runId, id } = await registeredRun(c, ref);
  await startJourney(c, ref, runId, id, timeScale);
  const journey = engine.client.workflow.getHandle(id);
  await eventually(
    async () => ((await journey.query<JourneyState>('journeyState')).currentStep === 'wait-click' ? true : undefined),
    30_000,
    'the journey to wait for the click',
  );
  return { c, runs, runId, id, journey };
}

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
