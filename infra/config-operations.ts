import { z } from 'zod';
import { Duration } from '../domain/duration.js';

/** Requests per minute per client, by bucket (see api/rate-limits.ts). */
export const rateLimitEnv = {
  /** Requests per minute per client IP on the subject pages (unsubscribe page, preferences, why, confirm). */
  CONSENTFLOW_RATE_SUBJECT_PER_MIN: z.coerce
    .number()
    .int()
    .min(1, 'CONSENTFLOW_RATE_SUBJECT_PER_MIN must be a whole number of at least 1')
    .default(60),
  /** Consent captures per minute per API key (or IP), and double opt-in confirmations per IP. */
  CONSENTFLOW_RATE_CONSENT_PER_MIN: z.coerce
    .number()
    .int()
    .min(1, 'CONSENTFLOW_RATE_CONSENT_PER_MIN must be a whole number of at least 1')
    .default(600),
  /** Other API requests per minute per API key (or IP without a valid key). */
  CONSENTFLOW_RATE_API_PER_MIN: z.coerce
    .number()
    .int()
    .min(1, 'CONSENTFLOW_RATE_API_PER_MIN must be a whole number of at least 1')
    .default(1200),
};

/** Subject requests: their deadline, and the bundle variable that moved to the policy. */
export const subjectRequestEnv = {
  /** Days a data subject request may stay open (15 working days is the strictest benchmark; GDPR allows a month). */
  CONSENTFLOW_DSAR_DEADLINE_DAYS: z.coerce.number().int().min(1).max(90).default(15),
  // An undelivered access bundle is kept for the policy's one window, which the daily retention run applies too.
  CONSENTFLOW_DSAR_BUNDLE_RETENTION: z
    .never({
      error:
        'CONSENTFLOW_DSAR_BUNDLE_RETENTION is no longer read: an undelivered access bundle is kept for retention.accessBundlesDays in the workspace policy (policy/retention.ts), the window the daily retention run applies too; unset it and set that field',
    })
    .optional(),
};

/** Metrics endpoints, the log level, alert delivery and the campaign monitor's tick. */
export const observabilityEnv = {
  /** Where the worker serves its Prometheus metrics, host:port (off when unset). */
  CONSENTFLOW_METRICS_ADDR: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'CONSENTFLOW_METRICS_ADDR must be host:port, e.g. 127.0.0.1:9464')
    .optional(),
  /** Where the Temporal SDK runtime serves its own Prometheus metrics, host:port (off when unset). */
  CONSENTFLOW_TEMPORAL_METRICS_ADDR: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'CONSENTFLOW_TEMPORAL_METRICS_ADDR must be host:port, e.g. 127.0.0.1:9465')
    .optional(),
  /** The level of the JSON logs on stderr (worker default warn: the SDK's info lines are routine; API default info: request lines). */
  CONSENTFLOW_LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error'], {
      error: 'CONSENTFLOW_LOG_LEVEL must be trace, debug, info, warn or error',
    })
    .optional(),
  /** Where alerts are POSTed as JSON with a Slack-compatible `text` (a Slack incoming webhook works as is); off when unset. */
  CONSENTFLOW_ALERT_WEBHOOK_URL: z
    .url({
      protocol: /^https?$/,
      error: 'CONSENTFLOW_ALERT_WEBHOOK_URL must be an http(s) URL, e.g. https://hooks.slack.com/services/…',
    })
    .optional(),
  /** How often each campaign's monitor reads its window, like 15s; the window itself is a policy threshold. */
  CONSENTFLOW_MONITOR_TICK: Duration.default('15s'),
};
