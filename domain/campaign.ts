import { z } from 'zod';
import { ChannelSchema } from './channel.js';
import { PurposeId } from './purpose-id.js';
import { Duration as DurationString } from './duration.js';
import { MonitorOverride } from './monitor-thresholds.js';
import { issueProblem, type DefinitionProblem } from './load-result.js';

export { Duration, InvalidDurationError, parseDuration } from './duration.js';

const kebab = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const ClockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'time must be HH:MM on a 24-hour clock, like 08:00 or 21:30');

/** A step id: kebab-case, unique within its campaign. */
export const StepId = z.string().regex(kebab, 'step id must be kebab-case, like send-welcome');

/** Sends one template on one channel through one processor, under the campaign's purpose unless overridden. */
export const SendStep = z.strictObject({
  id: StepId,
  type: z.literal('send'),
  channel: ChannelSchema,
  template: z.string().regex(kebab, 'template id must be kebab-case, like welcome-1'),
  processor: z.string().min(1),
  purpose: PurposeId.optional(),
});
export type SendStep = z.infer<typeof SendStep>;

/** Sleeps for a fixed duration (a durable Temporal timer). */
export const WaitStep = z.strictObject({ id: StepId, type: z.literal('wait'), duration: DurationString });
export type WaitStep = z.infer<typeof WaitStep>;

/** Quiet hours: waits until the subject's local time is inside the window (end before start wraps midnight). */
export const WaitUntilStep = z.strictObject({
  id: StepId,
  type: z.literal('waitUntil'),
  window: z.strictObject({ start: ClockTime, end: ClockTime }),
  /** Reading the timezone is processing, so the purpose must allow this field (lint checks it). */
  timezoneField: z.string().min(1).default('timezone'),
});
export type WaitUntilStep = z.infer<typeof WaitUntilStep>;

/** Comparison operators a field condition may use. */
export const FieldOp = { eq: 'eq', neq: 'neq', in: 'in', gte: 'gte', lte: 'lte', exists: 'exists' } as const;
export type FieldOp = (typeof FieldOp)[keyof typeof FieldOp];

/** Engagement events a journey can wait for by signal. */
export const EngagementEvent = { opened: 'opened', clicked: 'clicked', purchased: 'purchased' } as const;
export type EngagementEvent = (typeof EngagementEvent)[keyof typeof EngagementEvent];

const Scalar = z.union([z.string(), z.number()]);

/** A branch condition: a profile field the purpose allows, or an engagement event within a timeout. */
export const BranchCondition = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('field'),
    field: z.string().min(1),
    op: z.enum(FieldOp),
    value: z.union([Scalar, z.array(Scalar)]).optional(),
  }),
  z.strictObject({ kind: z.literal('event'), event: z.enum(EngagementEvent), within: DurationString }),
]);
export type BranchCondition = z.infer<typeof BranchCondition>;

/** Jumps forward to `then` when the condition holds, else to `otherwise` (no loops: targets come later). */
export const BranchStep = z.strictObject({
  id: StepId,
  type: z.literal('branch'),
  condition: BranchCondition,
  then: StepId,
  otherwise: StepId,
});
export type BranchStep = z.infer<typeof BranchStep>;

/** Ends the journey for this subject. */
export const ExitStep = z.strictObject({ id: StepId, type: z.literal('exit') });
export type ExitStep = z.infer<typeof ExitStep>;

/** One step of a campaign, discriminated on `type`. */
export const Step = z.discriminatedUnion('type', [SendStep, WaitStep, WaitUntilStep, BranchStep, ExitStep], {
  error: (iss) =>
    iss.code === 'invalid_union' ? 'step type must be one of send, wait, waitUntil, branch, exit' : undefined,
});
export type Step = z.infer<typeof Step>;

/** How a campaign runs: per-subject journeys, or a one-shot paged broadcast. */
export const CampaignKind = { journey: 'journey', broadcast: 'broadcast' } as const;
export type CampaignKind = (typeof CampaignKind)[keyof typeof CampaignKind];

const HOLDOUT_RANGE = 'holdoutPercent must be a percentage from 0 to 50, like 10';

/** Campaign-wide options; defaults live here and nowhere else. */
export const CampaignOptions = z.strictObject({
  /** At most `max` sends on `channel` per subject in any `per` window, counted across campaigns. */
  frequencyCap: z
    .strictObject({
      channel: ChannelSchema,
      max: z
        .number()
        .int('max must be a whole number')
        .positive('max must be at least 1 (remove frequencyCap for no cap)'),
      per: DurationString,
    })
    .optional(),
  /** Share of the audience deterministically kept out as a control group. */
  holdoutPercent: z.number().min(0, HOLDOUT_RANGE).max(50, HOLDOUT_RANGE).default(0),
  kind: z.enum(CampaignKind).default('journey'),
  /** This campaign's circuit-breaker thresholds where they differ from the policy's (`monitoring.thresholds`). */
  monitor: MonitorOverride.optional(),
});
export type CampaignOptions = z.infer<typeof CampaignOptions>;

/** A campaign as code: who (a segment), why (a purpose) and what (steps). Plain data, so it can be snapshotted. */
export const Campaign = z.strictObject({
  id: z.string().regex(kebab, 'campaign id must be kebab-case, like welcome-series'),
  name: z.string().min(1),
  description: z.string().min(1),
  purpose: PurposeId,
  audience: z.strictObject({ segment: z.string().min(1) }),
  steps: z.array(Step).min(1, 'a campaign needs at least one step'),
  options: CampaignOptions.default({ holdoutPercent: 0, kind: 'journey' }),
});
export type Campaign = z.infer<typeof Campaign>;
/** A campaign as written in `campaigns/*.ts`, before defaults apply. */
export type CampaignInput = z.input<typeof Campaign>;

/** Stable codes for structural problems found across steps (shared with the lint). */
export const ShapeCode = {
  step_id_duplicate: 'step_id_duplicate',
  branch_target_invalid: 'branch_target_invalid',
  broadcast_shape: 'broadcast_shape',
} as const;
export type ShapeCode = (typeof ShapeCode)[keyof typeof ShapeCode];

/** A problem with how steps relate to each other, which a per-step schema cannot see. */
export interface ShapeProblem {
  readonly code: ShapeCode;
  readonly step?: string;
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Cross-step checks: unique ids, branches jump forward to existing steps, a broadcast is exactly one send. */
export function campaignShapeProblems(c: Campaign): ShapeProblem[] {
  const out: ShapeProblem[] = [];
  const index = new Map<string, number>();
  c.steps.forEach((s, i) => {
    if (index.has(s.id)) {
      out.push({
        code: 'step_id_duplicate',
        step: s.id,
        path: ['steps', i, 'id'],
        message: `step id "${s.id}" is used twice; give each step its own id`,
      });
    } else index.set(s.id, i);
  });
  c.steps.forEach((s, i) => {
    if (s.type !== 'branch') return;
    for (const key of ['then', 'otherwise'] as const) {
      const target = index.get(s[key]);
      if (target === undefined || target <= i) {
        const why =
          target === undefined
            ? 'no step has that id'
            : 'it is not later in the steps (branches may only jump forward, so journeys cannot loop)';
        out.push({
          code: 'branch_target_invalid',
          step: s.id,
          path: ['steps', i, key],
          message: `branch "${s.id}" ${key} → "${s[key]}": ${why}; point it at a later step id`,
        });
      }
    }
  });
  if (c.options.kind === 'broadcast' && (c.steps.length !== 1 || c.steps[0]?.type !== 'send')) {
    out.push({
      code: 'broadcast_shape',
      path: ['steps'],
      message: `broadcast "${c.id}" must be exactly one send step (found ${c.steps.map((s) => s.type).join(', ')}); make it a journey or keep one send`,
    });
  }
  return out;
}

/** Thrown by `defineCampaign` with one line per problem, each naming the path and how to fix it. */
export class CampaignDefinitionError extends Error {
  override readonly name = 'CampaignDefinitionError';
  constructor(
    readonly campaignId: string,
    readonly problems: readonly DefinitionProblem[],
  ) {
    super(
      `campaign "${campaignId}" is invalid:\n${problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n')}`,
    );
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Validates a campaign definition: typed, defaulted and deeply frozen, or every problem with its path. */
export function parseCampaign(
  input: unknown,
): { ok: true; value: Campaign } | { ok: false; problems: DefinitionProblem[] } {
  // reportInput: messages can show the offending value ("42 is not a string").
  const parsed = Campaign.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map(issueProblem) };
  const shape = campaignShapeProblems(parsed.data);
  if (shape.length > 0)
    return {
      ok: false,
      problems: shape.map((p) =>
        issueProblem({ code: 'custom', path: [...p.path], message: p.message, input: undefined }),
      ),
    };
  return { ok: true, value: deepFreeze(parsed.data) };
}

/** Validates a campaign definition and returns it typed, defaulted and deeply frozen; throws CampaignDefinitionError. */
export function defineCampaign(input: CampaignInput): Campaign {
  const r = parseCampaign(input);
  if (r.ok) return r.value;
  const id = typeof (input as { id?: unknown }).id === 'string' ? (input as { id: string }).id : '(no id)';
  throw new CampaignDefinitionError(id, r.problems);
}

/** Deterministic holdout: the same subject is always in or out of a campaign's control group (FNV-1a, pure JS). */
export function holdout(subjectRef: string, campaignId: string, percent: number): boolean {
  if (!(percent > 0)) return false;
  const key = `${campaignId}\u0000${subjectRef}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Avalanche the low bits: plain FNV-1a clusters on keys that differ only in their last characters.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  return h % 10_000 < Math.round(percent * 100);
}
