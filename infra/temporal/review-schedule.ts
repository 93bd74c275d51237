import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleSpec,
  type WorkflowHandle,
} from '@temporalio/client';
import { ulid } from 'ulid';
import type { ReportSummary } from '../../domain/review-report.js';
import type { ReviewInput } from '../../workflows/review.js';

/** How often the review runs: an interval such as `1d`, or a cron expression (UTC). */
export type ReviewCadence = { readonly everyMs: number } | { readonly cron: string };

/** The default: daily, each run covering the day before it. */
export const DEFAULT_REVIEW_CADENCE: ReviewCadence = { everyMs: 86_400_000 };

/** The schedule id of a deployment: one review schedule per task queue. */
export const reviewScheduleId = (taskQueue: string): string =>
  taskQueue === 'consentflow' ? 'consentflow-review' : `consentflow-review-${taskQueue}`;

const DAY_MS = 86_400_000;

function plan(taskQueue: string, cadence: ReviewCadence) {
  const spec: ScheduleSpec =
    'cron' in cadence ? { cronExpressions: [cadence.cron] } : { intervals: [{ every: cadence.everyMs }] };
  // Each run reviews the interval before it; a cron cadence reviews the day before.
  const input: ReviewInput = { v: 1, periodMs: 'cron' in cadence ? DAY_MS : cadence.everyMs };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'review',
    taskQueue,
    workflowId: `review-scheduled-${taskQueue}`,
    args: [input],
  };
  return { spec, action };
}

/** The schedule's state after `ensureReviewSchedule`. */
export interface ReviewScheduleResult {
  readonly scheduleId: string;
  readonly status: 'created' | 'updated' | 'exists';
}

/**
 * Creates the review schedule, overlap SKIP (a review still running makes the next one skip, never pile up).
 * If it exists: `replace` updates its cadence (the `review schedule` command); otherwise it is left alone (`dev`).
 */
export async function ensureReviewSchedule(
  client: Client,
  taskQueue: string,
  cadence: ReviewCadence = DEFAULT_REVIEW_CADENCE,
  opts: { replace?: boolean } = {},
): Promise<ReviewScheduleResult> {
  const scheduleId = reviewScheduleId(taskQueue);
  const { spec, action } = plan(taskQueue, cadence);
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
    return { scheduleId, status: 'created' };
  } catch (e) {
    if (!(e instanceof ScheduleAlreadyRunning)) throw e;
  }
  if (!opts.replace) return { scheduleId, status: 'exists' };
  await client.schedule
    .getHandle(scheduleId)
    .update((prev) => ({ ...prev, spec, action, policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP } }));
  return { scheduleId, status: 'updated' };
}

/** Starts one review of `[since, until)` on demand; the handle's result is the report summary. */
export async function startReviewRun(
  client: Client,
  taskQueue: string,
  period: { since?: Date; until?: Date },
): Promise<WorkflowHandle> {
  const input: ReviewInput = { v: 1, since: period.since?.toISOString(), until: period.until?.toISOString() };
  return client.workflow.start('review', {
    taskQueue,
    workflowId: `review-run-${ulid().toLowerCase()}`,
    args: [input],
  });
}

/** Waits for a review run and returns its report summary. */
export async function reviewResult(handle: WorkflowHandle): Promise<ReportSummary> {
  return (await handle.result()) as ReportSummary;
}
