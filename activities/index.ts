import { createCampaignActivities, type CampaignActivityDeps } from './campaign.js';
import { createReviewActivities, type ReviewActivityDeps } from './review.js';
import { createRetentionActivities, type RetentionActivityDeps } from './retention.js';
import { createReviewRetentionActivities, type ReviewRetentionDeps } from './review-retention.js';
import { createSubjectRequestActivities, type SubjectRequestDeps } from './subject-request.js';
import { createMonitorActivities, type MonitorActivityDeps } from './monitor.js';
import { createAlertActivities, type AlertActivityDeps } from './alert.js';
import { createOperationsActivities, type OperationsActivityDeps } from './operations.js';

/** Everything activities need, wired by the worker's composition root. */
export type ActivityDeps = CampaignActivityDeps &
  SubjectRequestDeps &
  ReviewActivityDeps &
  RetentionActivityDeps &
  ReviewRetentionDeps &
  MonitorActivityDeps &
  AlertActivityDeps &
  OperationsActivityDeps;

/** The worker's activity implementations, built from injected dependencies (tests pass their own). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCampaignActivities(deps),
    ...createReviewActivities(deps),
    ...createSubjectRequestActivities(deps),
    ...createRetentionActivities(deps),
    ...createReviewRetentionActivities(deps),
    ...createMonitorActivities(deps),
    ...createAlertActivities(deps),
    ...createOperationsActivities(deps),
  };
}

/** The activity interface workflows proxy (imported there as a type only). */
export type Activities = ReturnType<typeof createActivities>;
