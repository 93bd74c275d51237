import { ApplicationFailure } from '@temporalio/activity';
import { Alert, alertEntry } from '../domain/alert.js';
import type { AppendLog } from './send-pipeline.js';

/** One channel's delivery of an alert: delivered, skipped (not configured), or failed and whether to retry. */
export type AlertChannelResult =
  | { readonly ok: true; readonly skipped?: string }
  | { readonly ok: false; readonly reason: string; readonly retryable: boolean };

/** What alert activities need; the worker wires the webhook and the compliance contact's mail. */
export interface AlertActivityDeps {
  readonly appendLog: AppendLog;
  readonly alertWebhook?: (a: Alert) => Promise<AlertChannelResult>;
  readonly alertEmail?: (a: Alert) => Promise<AlertChannelResult>;
}

function settle(channel: string, r: AlertChannelResult): string {
  if (r.ok) return r.skipped ? `skipped: ${r.skipped}` : 'delivered';
  // Thrown so the workflow's retry policy owns the schedule; a permanent refusal stops retrying at once.
  throw ApplicationFailure.create({
    type: 'AlertDeliveryFailure',
    message: `${channel}: ${r.reason}`,
    nonRetryable: !r.retryable,
  });
}

/** The activities that log and deliver an alert. */
export function createAlertActivities(deps: AlertActivityDeps) {
  return {
    /** Appends the alert to the decision log, once per alert key. */
    async recordAlert(input: Alert): Promise<string> {
      const a = Alert.parse(input);
      const [entry] = await deps.appendLog([alertEntry(a)], { idempotencyKeys: [`alert|${a.key}`] });
      return entry!.id;
    },
    async deliverAlertWebhook(input: Alert): Promise<string> {
      const a = Alert.parse(input);
      return settle(
        'webhook',
        deps.alertWebhook
          ? await deps.alertWebhook(a)
          : { ok: true, skipped: 'CONSENTFLOW_ALERT_WEBHOOK_URL is not set' },
      );
    },
    async deliverAlertEmail(input: Alert): Promise<string> {
      const a = Alert.parse(input);
      return settle(
        'email',
        deps.alertEmail
          ? await deps.alertEmail(a)
          : { ok: true, skipped: 'the policy names no monitoring.complianceContact' },
      );
    },
  };
}
