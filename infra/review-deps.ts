import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { ReviewActivityDeps } from '../activities/review.js';
import type { AppConfig } from './config.js';
import type { Services } from './compose.js';
import { renderReportHtml } from './reports/report-html.js';
import { readReport, reportsDirOf, summarize, writeReport } from './reports/report-store.js';
import { ReviewStateStore } from './redis/review-state-store.js';
import { subjectRequestSummary } from './temporal/subject-requests.js';
import { keyStatus } from './keyring.js';

/** Wires the review activities' ports: the decision log, parked state in Redis, the reports directory and visibility. */
export function reviewDeps(
  config: AppConfig,
  s: Services,
  io: { redis: Redis; client: Client; taskQueue: string },
): Omit<ReviewActivityDeps, 'policy' | 'pageSubjects' | 'appendLog'> {
  const dir = reportsDirOf(config);
  return {
    reviewLog: s.log,
    reviewStates: new ReviewStateStore(io.redis, config.redisKeyPrefix),
    consentEvents: (ref) => s.consent.events(ref),
    reviewReports: {
      write: async (report) => {
        await writeReport(dir, report, renderReportHtml(report));
        return summarize(dir, report);
      },
      read: (id) => readReport(dir, id),
      summarize: (report) => summarize(dir, report),
    },
    subjectRequests: (now) => subjectRequestSummary(io.client, io.taskQueue, now),
    keyStatus: (now) => keyStatus(config.secrets.rings, now),
  };
}
