// The broadcast bench's ratios to the raw nodemailer baseline: each broadcast against the mean of the baselines
// measured just before and just after it, and with several rounds the median per chunks-in-flight value.

export const round = (n: number, d = 1) => Number(n.toFixed(d));

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** One guarded broadcast: its chunks in flight, its sends/s and the raw baseline measured just before it. */
export interface GuardedRun {
  readonly k: number;
  readonly perS: number;
  readonly rawBefore: number;
}

/** Emits each broadcast's `ratio` (the next run's baseline, or `rawAfter` for the last, closes it) and the medians. */
export function reportRatios(
  emit: (metric: string, fields: Record<string, unknown>) => void,
  runs: readonly GuardedRun[],
  rawAfter: number,
  opts: { readonly rounds: number; readonly inFlight: readonly number[]; readonly workers: number },
): void {
  const ratios = runs.map((g, i) => {
    const after = runs[i + 1]?.rawBefore ?? rawAfter;
    const ratio = g.perS / ((g.rawBefore + after) / 2);
    emit('ratio', {
      chunks_in_flight: g.k,
      workers: opts.workers,
      ...(opts.rounds > 1 ? { round: Math.floor(i / opts.inFlight.length) + 1 } : {}),
      guarded_per_s: round(g.perS),
      raw_before_per_s: round(g.rawBefore),
      raw_after_per_s: round(after),
      guarded_over_raw: round(ratio, 3),
      goal: 0.7,
    });
    return { k: g.k, perS: g.perS, ratio };
  });
  if (opts.rounds < 2) return;
  for (const k of opts.inFlight) {
    const of = ratios.filter((x) => x.k === k);
    emit('ratio_median', {
      chunks_in_flight: k,
      workers: opts.workers,
      rounds: opts.rounds,
      guarded_per_s: round(median(of.map((x) => x.perS))),
      guarded_over_raw: round(median(of.map((x) => x.ratio)), 3),
      guarded_over_raw_min: round(Math.min(...of.map((x) => x.ratio)), 3),
      guarded_over_raw_max: round(Math.max(...of.map((x) => x.ratio)), 3),
      goal: 0.7,
    });
  }
}
