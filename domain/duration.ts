import { z } from 'zod';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
// A year is the longest wait or window a campaign may declare; longer is almost surely a typo.
const MAX_MS = 366 * UNIT_MS.d;

/** A duration string is malformed, zero or longer than a year. */
export class InvalidDurationError extends Error {
  override readonly name = 'InvalidDurationError';
}

/** Parses `30s`, `15m`, `12h`, `2d` or `1w` into milliseconds; throws InvalidDurationError naming the input. */
export function parseDuration(s: string): number {
  const m = /^([1-9]\d{0,5})([smhdw])$/.exec(s);
  if (!m) {
    throw new InvalidDurationError(
      `"${s}" is not a duration; write a positive whole number and one unit (s, m, h, d, w), like 30s, 15m, 12h, 2d or 1w`,
    );
  }
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (ms > MAX_MS) throw new InvalidDurationError(`"${s}" is longer than a year; campaigns may wait at most 366d`);
  return ms;
}

/** A duration string as campaigns write it, checked by `parseDuration`. */
export const Duration = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? undefined
        : `${String(iss.input)} is not a duration; write a quoted string with one unit, like "3d", "12h" or "30m"`,
  })
  .refine(
    (s) => {
      try {
        parseDuration(s);
        return true;
      } catch {
        return false;
      }
    },
    {
      error: (iss) =>
        `"${String(iss.input)}" is not a duration; write a positive whole number and one unit, like 30s, 15m, 12h, 2d or 1w (at most 366d)`,
    },
  );
export type Duration = z.infer<typeof Duration>;
