import { condition, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { holdout, parseDuration, type Step } from '../domain/campaign.js';
import { purposeAncestors } from '../domain/purpose-id.js';
import { enrolmentSpec, JOURNEY_END_STEP, type JourneyStart } from '../domain/run.js';
import type { Activities } from '../activities/index.js';
import {
  cancelSignal,
  consentChangedSignal,
  engagementSignal,
  journeyStateQuery,
  pauseSignal,
  resumeSignal,
  type JourneyState,
  type JourneyStepRecord,
} from './signals.js';
import { waitWhileHeld } from './run-hold.js';

/** One subject through one campaign; the campaign is a snapshot taken at enrolment, so edits never break it. */
export type JourneyInput = JourneyStart;

/** Journeys that log their end (held out, exited, completed) and scale quiet-hours waits; older ones replay as before. */
const RUN_ACCOUNTING = 'run-accounting-v1';
/** Journeys that read their run's pause flag when they start; older ones replay as before. */
const RUN_PAUSE = 'run-pause-v1';

const { sendStep } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 20,
    nonRetryableErrorTypes: ['PermanentSendFailure'],
  },
});
// Unanswered, the journey cannot know whether it may send: it keeps asking rather than failing.
const { journeyHeld } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['InvalidActivityInputFailure'],
  },
});
const { quietHoursDelay, evaluateFieldCondition, recordJourneyEnd } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['FieldNotAllowedFailure'] },
});

/** Runs a campaign's steps for one subject; exits early on withdrawal, erasure or the campaign's cancellation. */
export async function journey(input: JourneyInput): Promise<JourneyState> {
  const { campaign, subjectRef } = input;
  const scale = input.timeScale ?? 1;
  const history: JourneyStepRecord[] = [];
  const events = new Set<string>();
  let exitReason: string | undefined;
  let current: string | null = null;
  let status: JourneyState['status'] = 'running';
  // Paused by an operator or the monitor: the journey waits before its next send, timers and signals still run.
  let paused = false;
  // Resume signals seen so far, so a resume that overtakes the flag read below is not undone by it.
  let resumes = 0;
  // Pause and resume signals seen so far, so a held journey's re-read of the run flag never undoes a newer signal.
  let holdSignals = 0;
  const covers = (purpose: string | undefined, target: string) =>
    purpose === undefined || purpose === target || purposeAncestors(target).includes(purpose);
  const sendPurposes = new Set(
    campaign.steps.flatMap((s) => (s.type === 'send' ? [s.purpose ?? campaign.purpose] : [])),
  );

  setHandler(journeyStateQuery, () => ({
    status,
    currentStep: current,
    exitReason,
    history,
    ...(paused ? { paused } : {}),
  }));
  setHandler(pauseSignal, () => {
    paused = true;
    holdSignals += 1;
  });
  setHandler(resumeSignal, () => {
    paused = false;
    resumes += 1;
    holdSignals += 1;
  });
  // A cancelled campaign ends its journeys before their next step; a send already running completes and is logged.
  setHandler(cancelSignal, () => void (exitReason ??= 'campaign_cancelled'));
  setHandler(engagementSignal, (e) => void events.add(e.event));
  setHandler(consentChangedSignal, (c) => {
    if (c.kind === 'erased') exitReason = 'subject_erased';
    else if (c.kind === 'suppressed') exitReason = 'suppressed';
    // Exit once nothing this journey could still send is covered by a live consent.
    else if (c.kind === 'withdrawn' && [...sendPurposes].every((p) => covers(c.purpose, p)))
      exitReason = 'consent_withdrawn';
  });

  const record = (s: Step, outcome: string, reasons?: readonly string[]) =>
    history.push({ stepId: s.id, type: s.type, outcome, reasons, at: new Date().toISOString() });
  const sleep = (ms: number) => condition(() => exitReason !== undefined, Math.max(1, Math.round(ms * scale)));

  const accounting = patched(RUN_ACCOUNTING);
  const { workflowId, runId: ownRunId } = workflowInfo();
  // Entries carry the campaign run that enrolled the subject, so a run's log and ledger account for its journeys.
  const runId = accounting ? (input.runId ?? ownRunId) : ownRunId;
  const endSpec = { ...enrolmentSpec(campaign, input.campaignVersion, workflowId, runId), stepId: JOURNEY_END_STEP };

  if (holdout(subjectRef, campaign.id, campaign.options.holdoutPercent)) {
    status = 'holdout';
    if (accounting) await recordJourneyEnd({ spec: endSpec, subjectRef, outcome: 'held_out', reasons: ['holdout'] });
    return { status, currentStep: null, history };
  }
  // A pause signalled before this journey existed never reached it; the run's flag, set before any signal, did.
  if (input.runId !== undefined && patched(RUN_PAUSE)) {
    const seen = resumes;
    const held = await journeyHeld({ runId: input.runId });
    if (held === 'cancelled') exitReason ??= 'campaign_cancelled';
    else if (held && resumes === seen) paused = true;
  }
  // A journey held for long reads its run's flag again: a resume or cancel whose signal was lost still reaches it.
  const reread =
    input.runId === undefined
      ? undefined
      : async () => {
          const seen = holdSignals;
          const held = await journeyHeld({ runId: input.runId! });
          if (held === 'cancelled') exitReason ??= 'campaign_cancelled';
          else if (!held && holdSignals === seen) paused = false;
        };
  const index = new Map(campaign.steps.map((s, i) => [s.id, i]));
  let i = 0;
  while (i < campaign.steps.length && exitReason === undefined) {
    const step = campaign.steps[i]!;
    current = step.id;
    let next = i + 1;
    switch (step.type) {
      case 'send': {
        // Only a paused journey waits here, so histories recorded before pausing existed replay unchanged.
        await waitWhileHeld(() => paused && exitReason === undefined, scale, reread);
        if (exitReason !== undefined) break;
        const purpose = step.purpose ?? campaign.purpose;
        const cap = campaign.options.frequencyCap;
        const seen = resumes;
        const out = await sendStep({
          spec: {
            campaignId: campaign.id,
            campaignVersion: input.campaignVersion,
            workflowId,
            runId,
            stepId: step.id,
            purpose,
            channel: step.channel,
            processor: step.processor,
            templateId: step.template,
            frequencyCap:
              cap && cap.channel === step.channel ? { max: cap.max, perMs: parseDuration(cap.per) } : undefined,
            bundle: input.bundle,
          },
          subjectRef,
        });
        // The send step found the run paused (its signal never came): nothing was sent; hold, then take the step
        // again once resumed, with its decision of record. A resume that came meanwhile lets it retry at once.
        if (out.status === 'busy' && out.reasons.includes('run_paused')) {
          if (resumes === seen) paused = true;
          next = i;
          break;
        }
        record(step, out.status, out.reasons);
        // The send step found the run cancelled (its signal never came): the journey ends as the signal would.
        if (out.reasons.includes('run_cancelled')) exitReason ??= 'campaign_cancelled';
        break;
      }
      case 'wait':
        await sleep(parseDuration(step.duration));
        record(step, 'waited');
        break;
      case 'waitUntil': {
        const delayMs = await quietHoursDelay({
          subjectRef,
          purpose: campaign.purpose,
          timezoneField: step.timezoneField,
          window: step.window,
          nowMs: Date.now(),
        });
        // Demos and tests scale quiet-hours waits like any other wait; production (scale 1) waits the real window.
        const waitMs = accounting ? Math.max(1, Math.round(delayMs * scale)) : delayMs;
        if (delayMs > 0) await condition(() => exitReason !== undefined, waitMs);
        record(step, delayMs > 0 ? 'deferred' : 'in_window');
        break;
      }
      case 'branch': {
        let taken: boolean;
        if (step.condition.kind === 'event') {
          const ev = step.condition.event;
          taken = await condition(
            () => events.has(ev) || exitReason !== undefined,
            Math.max(1, Math.round(parseDuration(step.condition.within) * scale)),
          );
          taken = taken && events.has(ev);
        } else {
          taken = await evaluateFieldCondition({ subjectRef, purpose: campaign.purpose, condition: step.condition });
        }
        record(step, taken ? 'then' : 'otherwise');
        next = index.get(taken ? step.then : step.otherwise)!;
        break;
      }
      case 'exit':
        record(step, 'exit');
        next = campaign.steps.length;
        break;
    }
    i = next;
  }
  status = exitReason === undefined ? 'completed' : 'exited';
  // An exit on a signal is an outcome of its own in the log (the steps it skipped get no decision).
  if (accounting)
    await recordJourneyEnd({
      spec: endSpec,
      subjectRef,
      outcome: status,
      reasons: exitReason ? [exitReason] : [],
      atStep: current ?? undefined,
    });
  current = null;
  return { status, currentStep: null, exitReason, history };
}
