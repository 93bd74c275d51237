import { z } from 'zod';
import { Duration, parseDuration } from './duration.js';

/** The rates the monitor watches, each a share of its denominator in the window. */
export const MonitorRate = {
  deny: 'deny',
  hard_bounce: 'hard_bounce',
  complaint: 'complaint',
  unsubscribe: 'unsubscribe',
  failure: 'failure',
} as const;
export type MonitorRate = (typeof MonitorRate)[keyof typeof MonitorRate];

const share = (name: string) =>
  z
    .number({ error: `${name} must be a share between 0 and 1, like 0.05 for 5%` })
    .min(0, `${name} must be a share between 0 and 1, like 0.05 for 5%`)
    .max(1, `${name} must be a share between 0 and 1, like 0.05 for 5%`);

// Mailbox providers act above 0.3% complaints; a hard-bounce rate above a few percent marks a bought or stale list.
const RATE_DEFAULTS = {
  deny: 0.5,
  hard_bounce: 0.05,
  complaint: 0.003,
  unsubscribe: 0.02,
  failure: 0.1,
} as const satisfies Record<MonitorRate, number>;

const Rates = z.strictObject({
  deny: share('maxRates.deny').default(RATE_DEFAULTS.deny),
  hard_bounce: share('maxRates.hard_bounce').default(RATE_DEFAULTS.hard_bounce),
  complaint: share('maxRates.complaint').default(RATE_DEFAULTS.complaint),
  unsubscribe: share('maxRates.unsubscribe').default(RATE_DEFAULTS.unsubscribe),
  failure: share('maxRates.failure').default(RATE_DEFAULTS.failure),
});

/** The monitor's circuit-breaker thresholds: a policy's defaults, each overridable per campaign. */
export const MonitorThresholds = z.strictObject({
  /** The sliding window the rates are computed over. */
  window: Duration.default('10m'),
  /** A rate counts only once its denominator reaches this many, so one bounce out of two never pauses a campaign. */
  minSample: z.number().int('minSample must be a whole number').min(1, 'minSample must be at least 1').default(50),
  maxRates: Rates.default(RATE_DEFAULTS),
  /** Sends the review would flag (fields outside the purpose, an outdated notice, an expired agreement); any is one too many. */
  maxInvariantBreaches: z.number().int().min(0, 'maxInvariantBreaches must be 0 or more').default(0),
});
export type MonitorThresholds = z.infer<typeof MonitorThresholds>;

/** A campaign's override: any subset of the policy's thresholds, rates one by one. */
export const MonitorOverride = z.strictObject({
  window: Duration.optional(),
  minSample: z.number().int('minSample must be a whole number').min(1, 'minSample must be at least 1').optional(),
  maxRates: z
    .strictObject({
      deny: share('maxRates.deny').optional(),
      hard_bounce: share('maxRates.hard_bounce').optional(),
      complaint: share('maxRates.complaint').optional(),
      unsubscribe: share('maxRates.unsubscribe').optional(),
      failure: share('maxRates.failure').optional(),
    })
    .optional(),
  maxInvariantBreaches: z.number().int().min(0, 'maxInvariantBreaches must be 0 or more').optional(),
});
export type MonitorOverride = z.infer<typeof MonitorOverride>;

/** The thresholds a campaign runs under: its override over the policy's defaults. */
export function effectiveThresholds(
  defaults: MonitorThresholds,
  override: MonitorOverride | undefined,
): MonitorThresholds {
  if (!override) return defaults;
  const rates = Object.fromEntries(Object.entries(override.maxRates ?? {}).filter(([, v]) => v !== undefined));
  return {
    window: override.window ?? defaults.window,
    minSample: override.minSample ?? defaults.minSample,
    maxRates: { ...defaults.maxRates, ...rates },
    maxInvariantBreaches: override.maxInvariantBreaches ?? defaults.maxInvariantBreaches,
  };
}

/** The window in milliseconds. */
export const windowMs = (t: MonitorThresholds): number => parseDuration(t.window);
