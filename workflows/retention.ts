import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { RetentionSummary } from '../activities/retention.js';

/** Input of a retention run; `asOf` (ISO 8601) replaces the clock, for tests and catch-up runs. */
export interface RetentionInput {
  readonly v: 1;
  readonly asOf?: string;
}

const { enforceRetention } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10 },
});

/** Enforces the policy's retention table (PIPL 19): started daily by a Temporal Schedule. */
export async function retention(input: RetentionInput): Promise<RetentionSummary> {
  return enforceRetention({ ...(input.asOf === undefined ? {} : { asOf: input.asOf }) });
}
