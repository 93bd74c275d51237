import { proxyActivities } from '@temporalio/workflow';
import type { Alert } from '../domain/alert.js';
import type { Activities } from '../activities/index.js';

// An alert must arrive even when the receiver is down for a while: retry for about an hour, at most a minute apart.
const { recordAlert, deliverAlertWebhook, deliverAlertEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 60,
    nonRetryableErrorTypes: ['AlertInputFailure'],
  },
});

/** How an alert went out on each channel. */
export interface AlertResult {
  readonly entryId: string;
  readonly webhook: string;
  readonly email: string;
}

/**
 * Logs and delivers one alert; started under an id made of its key, so it runs once per condition and window.
 * The log entry and the deliveries go in parallel: a log outage is itself an alert, and must not wait for the log.
 */
export async function alert(a: Alert): Promise<AlertResult> {
  const [entryId, webhook, email] = await Promise.all([recordAlert(a), deliverAlertWebhook(a), deliverAlertEmail(a)]);
  return { entryId, webhook, email };
}
