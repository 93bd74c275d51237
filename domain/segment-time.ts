// Helpers segment predicates may import. No other imports: a deploy bundles this file into each segment module.

/** Whole days between an ISO date-time field and now; undefined when the field is absent or unparseable. */
export function daysSince(value: string | number | undefined, nowMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.floor((nowMs - t) / 86_400_000);
}
