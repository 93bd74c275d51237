import { continueAsNew, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

/** Input of a compliance review; with no period it covers the `periodMs` (default one day) before it started. */
export interface ReviewInput {
  readonly v: 1;
  /** ISO 8601, inclusive. */
  readonly since?: string;
  /** ISO 8601, exclusive. */
  readonly until?: string;
  readonly periodMs?: number;
  /** 24-hour buckets before the period that form the anomaly baseline (default 7; 0 turns it off). */
  readonly baselineDays?: number;
  /** Carried over continue-as-new. */
  readonly id?: string;
}

const { beginReview, reviewPages, finishReview } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '60 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 20,
    nonRetryableErrorTypes: ['ReviewStateMissingFailure'],
  },
});
// Verifying walks every chain from its start, so it gets a longer budget; it heartbeats per page.
const { verifyReviewChain, reviewSubjectRequests, reviewRetention } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10 },
});

const DAY_MS = 86_400_000;

/** A review id from the start time and run: sortable by time, unique per run, safe in file names and URLs. */
export function reviewIdOf(startMs: number, runId: string): string {
  const stamp = new Date(startMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  // The tail of the run id: run ids may be time-ordered (UUIDv7), so their head repeats within a second.
  return `${stamp}-${runId
    .replace(/[^a-z0-9]/gi, '')
    .slice(-8)
    .toLowerCase()}`;
}

/**
 * The periodic compliance review: streams the period of the decision log through activities that park their
 * state in Redis (history holds only ids and counts), verifies the chains, counts subject requests, and writes
 * the report. The result says pass or fail; a failed review is a normal result, not a workflow failure.
 */
export async function review(input: ReviewInput) {
  const info = workflowInfo();
  const untilMs = input.until ? Date.parse(input.until) : Date.now();
  const sinceMs = input.since ? Date.parse(input.since) : untilMs - (input.periodMs ?? DAY_MS);
  let id = input.id;
  if (id === undefined) {
    id = reviewIdOf(Date.now(), info.runId);
    await beginReview({ id, sinceMs, untilMs, baselineDays: input.baselineDays ?? 7 });
  }
  for (;;) {
    const p = await reviewPages({ id });
    if (p.done) break;
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof review>({
        ...input,
        since: new Date(sinceMs).toISOString(),
        until: new Date(untilMs).toISOString(),
        id,
      });
    }
  }
  // Reviews started before the retention section replay without it.
  const withRetention = patched('review-retention-v1');
  const [chain, subjectRequests, retention] = await Promise.all([
    verifyReviewChain(),
    reviewSubjectRequests(),
    withRetention ? reviewRetention({ sinceMs, untilMs }) : undefined,
  ]);
  return finishReview({
    id,
    chain,
    subjectRequests,
    ...(retention === undefined ? {} : { retention }),
    workflowId: info.workflowId,
    runId: info.runId,
  });
}
