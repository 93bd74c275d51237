import { z } from 'zod';
import type { LogEntryInput } from './decision-log.js';
import { OperatorAction, operatorEntry } from './operator-action.js';
import { MONITOR_ACTOR } from './monitor-entry.js';

/** The conditions consentflow alerts on. */
export const AlertKind = {
  monitor_pause: 'monitor_pause',
  review_fail: 'review_fail',
  chain_break: 'chain_break',
  propagation_overdue: 'propagation_overdue',
  dsr_deadline: 'dsr_deadline',
  log_outage: 'log_outage',
} as const;
export type AlertKind = (typeof AlertKind)[keyof typeof AlertKind];

/** One alert: the same key is raised at most once, so a condition that persists does not page anyone twice. */
export const Alert = z.strictObject({
  v: z.literal(1),
  kind: z.enum(AlertKind),
  /** The condition and its window, e.g. `monitor_pause:promo:01K…`; at most one alert per key. */
  key: z.string().regex(/^[A-Za-z0-9:._-]{1,200}$/, 'an alert key is 1-200 of A-Z a-z 0-9 : . _ -'),
  /** One line a person reads in Slack or a mail subject; no personal data. */
  text: z.string().min(1).max(500),
  at: z.iso.datetime({ precision: 3 }),
  campaignId: z.string().min(1).max(128).optional(),
  /** Key=value figures behind the alert. */
  facts: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.union([z.string().max(200), z.number()])).default({}),
});
export type Alert = z.infer<typeof Alert>;
export type AlertInput = z.input<typeof Alert>;

/** The Temporal workflow id of an alert's delivery: the key, so a second raise of one condition is a no-op. */
export const alertWorkflowId = (key: string): string => `alert:${key}`;

const factText = (facts: Alert['facts']): string =>
  Object.entries(facts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

/** The decision-log entry of a raised alert (actor `monitor`); its idempotency key is the alert key. */
export function alertEntry(a: Alert): LogEntryInput {
  const action = OperatorAction.alert_raised;
  const entry = operatorEntry({
    action,
    actor: MONITOR_ACTOR,
    at: new Date(a.at),
    ...(a.campaignId ? { campaignId: a.campaignId } : {}),
    detail: `alert=${a.kind} key=${a.key} ${factText(a.facts)}`.trim(),
  });
  return { ...entry, reasons: [action, a.kind] };
}
