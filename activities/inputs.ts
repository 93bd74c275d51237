// Activity inputs cross a process boundary (workflow history, encoded by the codec), so each activity parses its
// input here instead of trusting a cast; the wire type (z.input) is what workflows pass.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { BranchCondition, WaitUntilStep } from '../domain/campaign.js';
import { ConsentChange } from '../domain/consent-change.js';
import { SubjectRef } from '../domain/ids.js';
import { PropagationKind } from '../domain/propagation.js';
import { SendSpec } from '../domain/send-spec.js';

/** An activity input that does not parse: a caller's bug, so it fails at once instead of retrying. */
export const INVALID_INPUT_FAILURE = 'InvalidActivityInputFailure';

/** Parses an activity's input; a bad one is a non-retryable failure naming the activity, the path and the problem. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, activity: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
  throw ApplicationFailure.create({
    type: INVALID_INPUT_FAILURE,
    nonRetryable: true,
    message: `${activity} input is invalid: ${problems}`,
  });
}

/** One journey send step for one subject. */
export const SendStepInput = z.object({ spec: SendSpec, subjectRef: SubjectRef });

/** How a journey ended, when that is not a send outcome. */
export const JourneyEndInput = z.object({
  spec: SendSpec,
  subjectRef: SubjectRef,
  outcome: z.enum(['completed', 'exited', 'held_out']),
  reasons: z.array(z.string()).readonly(),
  atStep: z.string().optional(),
});

/** Quiet hours for one subject: the window and the field holding their timezone. */
/** journeyHeld: the run whose pause flag a starting or long-held journey, or a long-held broadcast, reads. */
export const JourneyHeldInput = z.object({ runId: z.string().min(1) });

export const QuietHoursInput = z.object({
  subjectRef: SubjectRef,
  purpose: z.string().min(1),
  timezoneField: z.string().min(1),
  window: WaitUntilStep.shape.window,
  nowMs: z.number().int(),
});

/** A field branch condition for one subject. */
export const FieldConditionInput = z.object({
  subjectRef: SubjectRef,
  purpose: z.string().min(1),
  condition: BranchCondition.options[0],
});

/** A consent change to signal to one subject's running journeys. */
export const SignalJourneysInput = z.object({ subjectRef: SubjectRef, change: ConsentChange });

/** One change to tell one processor about. */
export const InformInput = z.object({
  subjectRef: SubjectRef,
  changeId: z.string().min(1),
  kind: z.enum(PropagationKind),
  processor: z.string().min(1),
  purpose: z.string().optional(),
  channel: z.string().optional(),
  /** Corrections: the names of the corrected fields. */
  fields: z.array(z.string()).readonly().optional(),
});
export type InformInput = z.input<typeof InformInput>;

/** A change to plan propagation for (every processor that received the subject's data). */
export const PlanPropagationInput = InformInput.omit({ processor: true });

/** A processor that could not be informed after every retry. */
export const PropagationFailedInput = InformInput.extend({ error: z.string() });

/** One step of a subject request (access, correction, erasure). */
export const SubjectRequestStepInput = z.object({ requestId: z.string().min(1), subjectRef: SubjectRef });

/** An access bundle whose retention window ended. */
export const AccessBundleInput = z.object({ subjectRef: SubjectRef, bundleId: z.string().min(1) });

/** Where a broadcast's next pages start: the run, the bound after the pages already planned, page size and how many. */
export const ChunkPlanInput = z.object({
  runId: z.string().min(1),
  after: z.string(),
  count: z.number().int().min(1).max(10_000),
  chunks: z.number().int().min(1).max(64),
});
