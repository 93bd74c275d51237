import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { ulid } from 'ulid';
import { defineCampaign, type Campaign } from '../../domain/campaign.js';
import type { SubjectRef } from '../../domain/ids.js';
import { journeyWorkflowId } from '../../domain/run.js';
import type { RunStore } from '../../infra/redis/run-store.js';
import { controlCampaign } from '../../infra/temporal/campaign-control.js';
import { journeyStarter } from '../../infra/temporal/journeys.js';
import type { JourneyState } from '../../workflows/signals.js';
import { eventually, scheduledActivities, useEngine } from './engine.js';
import { registerJourneyRun } from './journey-run.js';
import { uniqueId } from './services.js';

// The journeys and steps the pause tests drive. Importing this module starts the test file's engine (useEngine):
// each test file runs in its own process, so each gets its own.
export const engine = useEngine();

export const send = {
  id: 'send-1',
  type: 'send',
  channel: 'email',
  template: 'welcome-1',
  processor: 'smtp-relay',
} as const;
export const journeyCampaign = (steps: Campaign['steps']) =>
  defineCampaign({
    id: uniqueId('pause'),
    name: 'Paused journey',
    description: 'a journey held by a pause',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'loyal-members' },
    steps,
  });

/** A journey that waits up to a day for a click, then sends. */
export const clickThenSend = () =>
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

export async function subject(): Promise<{ ref: SubjectRef; address: string }> {
  const address = `${uniqueId('held')}@example.org`;
  const ref = await engine.seed(uniqueId('held'), { email: address, first_name: 'Ada' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  return { ref, address };
}

export const mailsTo = (address: string) => engine.sink.received.filter((m) => m.envelopeTo.includes(address)).length;

/** A run with the subject as its one member and its journey registered, not started yet. */
export async function registeredRun(
  c: Campaign,
  ref: SubjectRef,
): Promise<{ runs: RunStore; runId: string; id: string }> {
  const runs = engine.services.runs;
  const runId = ulid();
  const id = journeyWorkflowId(c.id, ref);
  await registerJourneyRun(runs, { runId, campaignId: c.id, sendSteps: ['send-1'] }, ref, id);
  return { runs, runId, id };
}

/** Starts the journey the way enrolment does, for the run (its waits scaled by `timeScale` when given). */
export async function startJourney(
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
export const holding = (handle: WorkflowHandle): Promise<JourneyState> =>
  eventually(
    async () => {
      const s = await handle.query<JourneyState>('journeyState');
      return s.currentStep === 'send-1' && s.paused ? s : undefined;
    },
    30_000,
    'the journey to hold at its send step',
  );

/** Waits until the journey holds before its send step, and checks that no send was attempted. */
export async function heldAtSend(handle: WorkflowHandle, address: string): Promise<void> {
  const held = await holding(handle);
  assert.ok(!held.history.some((h) => h.stepId === 'send-1'), 'the send step has not run');
  assert.ok(!(await scheduledActivities(handle)).includes('sendStep'), 'no send was scheduled');
  assert.equal(mailsTo(address), 0);
}

/** Resumes the campaign and checks its click-then-send journey then sends, once. */
export async function resumedToSend(
  c: Campaign,
  runs: RunStore,
  journey: WorkflowHandle,
  address: string,
): Promise<void> {
  assert.equal(await controlCampaign(engine.client, runs, c.id, 'resume'), 'signalled');
  sentOnce((await journey.result()) as JourneyState, address);
}

/** Checks that the click-then-send journey ended having sent to the subject, once. */
export function sentOnce(done: JourneyState, address: string): void {
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
export async function waitingForClick(ref: SubjectRef, timeScale?: number) {
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
