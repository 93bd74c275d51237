import { ApplicationFailure } from '@temporalio/activity';
import type { Campaign } from '../domain/campaign.js';
import type { z } from 'zod';
import { ENROL_STEP, enrolmentSpec, JOURNEY_END_STEP, journeyWorkflowId, type JourneyStart } from '../domain/run.js';
import type { LedgerRecord } from '../infra/redis/send-ledger.js';
import {
  createRunActivities,
  exclusionsOf,
  heartbeat,
  cancellation,
  segmentOf,
  type BatchCounts,
  type RunActivityDeps,
} from './campaign-run.js';
import { mapWindowed } from '../domain/concurrency.js';
import { fieldsOutsidePurpose } from './segment-page.js';
import { runGuardedSends, type SendOutcome } from './send-pipeline.js';
import { journeySend } from './journey-send.js';
import { withContent } from './content.js';

export { enrolmentSpec } from '../domain/run.js';
import { evaluateCondition, msUntilWindow } from './conditions.js';
import {
  FieldConditionInput,
  JourneyEndInput,
  JourneyHeldInput,
  parseInput,
  QuietHoursInput,
  SendStepInput,
} from './inputs.js';

/** What campaign activities need beyond the run activities. */
export interface CampaignActivityDeps extends RunActivityDeps {
  readonly startJourney: (workflowId: string, input: JourneyStart) => Promise<'started' | 'exists'>;
}

/** Journey starts in flight at once during enrolment. */
const ENROL_WINDOW = 32;

export { journeyWorkflowId } from '../domain/run.js';

async function requireAllowed(
  deps: CampaignActivityDeps,
  purpose: string,
  fields: readonly string[],
  what: string,
): Promise<void> {
  const bad = fieldsOutsidePurpose((await withContent(deps, undefined)).policy(), purpose, fields);
  if (bad.length)
    throw ApplicationFailure.create({
      type: 'FieldNotAllowedFailure',
      nonRetryable: true,
      message: `${what} reads ${bad.join(', ')}, which purpose ${purpose} does not allow`,
    });
}

/** Campaign activities: guarded sends, runs, enrolment, journey outcomes, quiet hours and branch conditions. */
export function createCampaignActivities(deps: CampaignActivityDeps) {
  const clock = deps.now ?? (() => new Date());
  return {
    ...createRunActivities(deps),

    /** One journey send step for one subject; a denial is a normal result, a transient SMTP failure retries. */
    async sendStep(raw: z.input<typeof SendStepInput>): Promise<SendOutcome> {
      const input = parseInput(SendStepInput, raw, 'sendStep');
      const out = await journeySend(await withContent(deps, input.spec.bundle), input.spec, input.subjectRef, {
        heartbeat: () => heartbeat(),
        signal: cancellation(),
      });
      // A paused run's journey holds on this outcome (see journey.ts) rather than retrying for as long as it lasts.
      if (out.status === 'busy' && out.reasons.includes('run_paused')) return out;
      if (out.status === 'deferred' || out.status === 'busy')
        throw ApplicationFailure.retryable(
          `delivery deferred (${out.reasons.join(', ')}); retrying`,
          'TransientSendFailure',
        );
      return out;
    },

    /** One page of a journey campaign's run: held-out and not-eligible members are logged, the rest enrolled. */
    async enrolJourneys(input: {
      campaign: Campaign;
      campaignVersion: string;
      bundle?: string;
      workflowId: string;
      runId: string;
      after: string;
      count: number;
      timeScale: number;
    }): Promise<{ cursor: string | null; counts: BatchCounts }> {
      const { campaign } = input;
      const bundled = await withContent(deps, input.bundle);
      const refs = await bundled.runs.page(input.runId, input.after, input.count);
      const spec = enrolmentSpec(campaign, input.campaignVersion, input.workflowId, input.runId);
      const excluded = await exclusionsOf(
        bundled,
        segmentOf(bundled, campaign.audience.segment),
        campaign.id,
        campaign.options.holdoutPercent,
        refs,
      );
      const closed = await runGuardedSends(bundled, spec, [...excluded.keys()], { excluded });
      const enrol = refs.filter((r) => !excluded.has(r));
      // Registered before they start, so a pause from now on reaches them (or they read its flag when they start).
      await bundled.runs.journeys.add(
        input.runId,
        enrol.map((ref) => journeyWorkflowId(campaign.id, ref)),
      );
      // A sliding window of journey starts: the deterministic ids make a repeat of this page a no-op.
      const started = await mapWindowed(enrol, ENROL_WINDOW, (ref) =>
        bundled.startJourney(journeyWorkflowId(campaign.id, ref), {
          v: 1,
          campaign,
          campaignVersion: input.campaignVersion,
          subjectRef: ref,
          timeScale: input.timeScale,
          runId: input.runId,
          ...(input.bundle === undefined ? {} : { bundle: input.bundle }),
        }),
      );
      const at = clock().toISOString();
      const rec: LedgerRecord = {
        runId: input.runId,
        state: 'closed',
        at,
        decisionId: '',
        decisions: 0,
        outcome: 'enrolled',
        reasons: [],
        logged: true,
        deferrals: 0,
        sentBefore: false,
      };
      await bundled.ledger.put(
        `${input.workflowId}:${ENROL_STEP}`,
        enrol.map((ref) => [ref, rec] as const),
      );
      heartbeat();
      const counts: BatchCounts = {
        enrolled: started.filter((r) => r === 'started').length,
        duplicate: started.filter((r) => r === 'exists').length,
      };
      for (const o of closed) counts[o.status] = (counts[o.status] ?? 0) + 1;
      return { cursor: refs.length === input.count ? refs.at(-1)! : null, counts };
    },

    /**
     * Whether the run is paused (true) or cancelled, as its flag says: asked by a journey when it starts (a pause or a
     * cancel may predate its start), and by a journey or broadcast held for long (its resume or cancel signal may have
     * been lost). Journeys recorded before cancellation reached them only ever saw true or false.
     */
    async journeyHeld(raw: { runId: string }): Promise<boolean | 'cancelled'> {
      const { runId } = parseInput(JourneyHeldInput, raw, 'journeyHeld');
      const hold = await deps.runs.journeys.state(runId);
      return hold === 'cancelled' ? 'cancelled' : hold === 'paused';
    },

    /** How a journey ended (completed, exited on a signal, or held out), logged once when it is not a send outcome. */
    async recordJourneyEnd(raw: z.input<typeof JourneyEndInput>): Promise<void> {
      const input = parseInput(JourneyEndInput, raw, 'recordJourneyEnd');
      const ref = input.subjectRef;
      const spec = { ...input.spec, stepId: JOURNEY_END_STEP };
      if (input.outcome === 'completed') {
        const rec: LedgerRecord = {
          runId: spec.runId,
          state: 'closed',
          at: clock().toISOString(),
          decisionId: '',
          decisions: 0,
          outcome: 'completed',
          reasons: [],
          logged: true,
          deferrals: 0,
          sentBefore: false,
        };
        await deps.ledger.put(`${spec.workflowId}:${JOURNEY_END_STEP}`, [[ref, rec]]);
        return;
      }
      await runGuardedSends(deps, spec, [ref], {
        excluded: new Map([
          [
            ref,
            {
              outcome: input.outcome,
              reasons: input.reasons,
              result: input.atStep ? `at_step=${input.atStep}` : undefined,
            },
          ],
        ]),
      });
    },

    /** Milliseconds until the subject's local time enters the window (0 when inside); reads only the timezone field. */
    async quietHoursDelay(raw: z.input<typeof QuietHoursInput>): Promise<number> {
      const input = parseInput(QuietHoursInput, raw, 'quietHoursDelay');
      await requireAllowed(deps, input.purpose, [input.timezoneField], 'quiet hours');
      const r = await deps.readFields(input.subjectRef, [input.timezoneField]);
      const tz = r.status === 'found' ? r.fields[input.timezoneField] : undefined;
      return msUntilWindow(input.nowMs, tz, input.window);
    },

    /** Evaluates a field branch condition; only the boolean goes back into workflow history. */
    async evaluateFieldCondition(raw: z.input<typeof FieldConditionInput>): Promise<boolean> {
      const input = parseInput(FieldConditionInput, raw, 'evaluateFieldCondition');
      await requireAllowed(deps, input.purpose, [input.condition.field], `branch on ${input.condition.field}`);
      const r = await deps.readFields(input.subjectRef, [input.condition.field]);
      return evaluateCondition(input.condition, r.status === 'found' ? r.fields[input.condition.field] : undefined);
    },
  };
}
