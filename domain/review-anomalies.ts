import type { Anomaly, Tally } from './review-report.js';

/** Tunables of the anomaly check; the defaults live in `anomalyOptions`. */
export interface AnomalyOptions {
  /** How many 24-hour buckets before the period form the baseline. */
  readonly baselineDays?: number;
  /** Fewer baseline buckets with data than this: no verdict for that campaign. */
  readonly minBaselineDays?: number;
  readonly zThreshold?: number;
  /** A deny rate is only judged on a bucket with at least this many decisions. */
  readonly minDecisions?: number;
  /** A volume change smaller than this many sends is never an anomaly, whatever its z-score. */
  readonly minVolumeDelta?: number;
}

/** The resolved anomaly options: the one place their defaults are set. */
export function anomalyOptions(o: AnomalyOptions = {}) {
  return { baselineDays: 7, minBaselineDays: 3, zThreshold: 3, minDecisions: 20, minVolumeDelta: 20, ...o };
}

/** How the check works, written into every report next to its findings. */
export function anomalyMethod(o: AnomalyOptions = {}): string {
  const x = anomalyOptions(o);
  return (
    `Per campaign, the period is cut into 24-hour buckets from its start and compared with the ${x.baselineDays} buckets before it. ` +
    `A bucket is flagged when its deny rate (denies / decisions, buckets with ≥ ${x.minDecisions} decisions) or its send volume ` +
    `(full buckets only, change ≥ ${x.minVolumeDelta} sends) lies ≥ ${x.zThreshold} standard deviations from the baseline mean. ` +
    `Standard deviations are floored (0.05 for rates, √mean and at least 1 for volumes) so a flat baseline does not flag noise; ` +
    `campaigns with fewer than ${x.minBaselineDays} baseline buckets with data get no verdict.`
  );
}

const DAY_MS = 86_400_000;

/** The bucket of a time: whole days from the period start, negative in the baseline. */
export const bucketOf = (atMs: number, sinceMs: number): number => Math.floor((atMs - sinceMs) / DAY_MS);

function stats(xs: readonly number[]): { mean: number; stdev: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, stdev: Math.sqrt(variance) };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const denyRate = (t: Tally) => t.deny / (t.allow + t.deny);

/** Flags campaign buckets of the period far from their baseline; `buckets` maps campaign → bucket index → tally. */
export function detectAnomalies(
  buckets: Readonly<Record<string, Readonly<Record<string, Tally>>>>,
  sinceMs: number,
  untilMs: number,
  o: AnomalyOptions = {},
): Anomaly[] {
  const x = anomalyOptions(o);
  const out: Anomaly[] = [];
  const periodBuckets = Math.ceil((untilMs - sinceMs) / DAY_MS);
  for (const [campaignId, series] of Object.entries(buckets)) {
    const at = (i: number): Tally | undefined => series[String(i)];
    const base = Array.from({ length: x.baselineDays }, (_, k) => at(-1 - k)).filter(
      (t): t is Tally => t !== undefined,
    );
    if (base.length < x.minBaselineDays) continue;
    const rates = base.filter((t) => t.allow + t.deny >= x.minDecisions).map(denyRate);
    const volume = stats(base.map((t) => t.sent));
    const rate = rates.length >= x.minBaselineDays ? stats(rates) : undefined;
    for (let i = 0; i < periodBuckets; i++) {
      const t = at(i) ?? { entries: 0, allow: 0, deny: 0, sent: 0, failed: 0, recorded: 0 };
      const day = new Date(sinceMs + i * DAY_MS).toISOString().slice(0, 10);
      const full = sinceMs + (i + 1) * DAY_MS <= untilMs;
      const push = (metric: Anomaly['metric'], value: number, s: { mean: number; stdev: number }, floor: number) => {
        const z = (value - s.mean) / Math.max(s.stdev, floor);
        if (Math.abs(z) >= x.zThreshold)
          out.push({
            campaignId,
            day,
            metric,
            value: round(value),
            baselineMean: round(s.mean),
            baselineStdev: round(s.stdev),
            baselineDays: base.length,
            zScore: round(z),
          });
      };
      if (rate && t.allow + t.deny >= x.minDecisions) push('deny_rate', denyRate(t), rate, 0.05);
      if (full && Math.abs(t.sent - volume.mean) >= x.minVolumeDelta)
        push('send_volume', t.sent, volume, Math.max(1, Math.sqrt(volume.mean)));
    }
  }
  return out;
}
