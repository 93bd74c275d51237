import type { Campaign } from './campaign.js';
import type { SendSpec } from './send-spec.js';
import type { SubjectRef } from './ids.js';

/** The deterministic workflow id of a subject's journey: enrolling twice is a no-op. */
export const journeyWorkflowId = (campaignId: string, ref: string): string => `journey:${campaignId}:${ref}`;

/** The step id under which a journey campaign's enrolment outcome (held out, not eligible, enrolled) is kept. */
export const ENROL_STEP = 'enrol';

/** The step id under which a journey's own end (completed, exited, held out) is kept. */
export const JOURNEY_END_STEP = 'journey-end';

/** The pseudonymous subject of a run's summary entry: it is about the run, not a person. */
export const RUN_SUMMARY_SUBJECT_REF = 'sr_system_run_summary_000' as SubjectRef;

/** Where one audience member stands in a run: a terminal outcome, or still pending. */
export type MemberStatus =
  'sent' | 'failed' | 'denied' | 'held_out' | 'not_eligible' | 'exited' | 'completed' | 'in_progress' | 'pending';

/** A run's accounting: audience = sum of the outcome counts + pending. */
export interface RunReconciliation {
  readonly runId: string;
  readonly campaignId: string;
  readonly kind: 'broadcast' | 'journey';
  readonly audienceSize: number;
  readonly audienceDigest: string | null;
  readonly outcomes: Readonly<Record<string, number>>;
  /** Members with no terminal outcome: still pending while the run works, unaccounted once it has ended. */
  readonly pending: number;
  readonly unaccounted: number;
  readonly unaccountedRefs: readonly string[];
  /** Per send step of a journey campaign, its outcomes (a broadcast's one step is `outcomes`). */
  readonly steps: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Deny and failure reasons with their counts. */
  readonly reasons: Readonly<Record<string, number>>;
}

/** The `result` text of a run's summary entry: counts and the audience digest, within the log's 256 characters. */
export function runSummaryResult(r: RunReconciliation): string {
  const counts = Object.entries(r.outcomes)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
  return `audience=${r.audienceSize} ${counts} unaccounted=${r.unaccounted} digest=${(r.audienceDigest ?? 'none').slice(0, 64)}`.slice(
    0,
    256,
  );
}

/** The unaccounted count a summary entry's `result` states (NaN when it states none). */
export const unaccountedIn = (result: string | null): number =>
  Number(/\bunaccounted=(\d+)/.exec(result ?? '')?.[1] ?? NaN);

/** The input of a journey workflow: one subject through a campaign snapshot taken at enrolment. */
export interface JourneyStart {
  readonly v: 1;
  readonly campaign: Campaign;
  readonly campaignVersion: string;
  readonly subjectRef: string;
  /** Multiplies every wait (quiet-hours windows too); 1 in production, small in demos and tests. */
  readonly timeScale?: number;
  /** The campaign run that enrolled the subject; absent for journeys started before runs were recorded. */
  readonly runId?: string;
  /** The deployed bundle (its hash) whose templates and segment the journey uses; absent before deploys existed. */
  readonly bundle?: string;
}

/** The spec under which a journey campaign's enrolment outcomes are logged and kept. */
export function enrolmentSpec(
  campaign: Campaign,
  campaignVersion: string,
  workflowId: string,
  runId: string,
): SendSpec {
  const first = campaign.steps.find((s) => s.type === 'send');
  return {
    campaignId: campaign.id,
    campaignVersion,
    workflowId,
    runId,
    stepId: ENROL_STEP,
    purpose: campaign.purpose,
    channel: first?.type === 'send' ? first.channel : 'email',
    processor: first?.type === 'send' ? first.processor : 'none',
    templateId: first?.type === 'send' ? first.template : 'none',
  };
}
