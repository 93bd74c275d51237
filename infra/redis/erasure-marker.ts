import { z } from 'zod';

const Schema = z.object({ at: z.iso.datetime(), source: z.string().min(1) });

/** The erasure tombstone stored at `keys.erased(ref)`: when and on whose request the subject was erased. */
export type ErasureMarker = z.infer<typeof Schema>;

/** Parsing helpers for the tombstone. */
export const ErasureMarker = {
  schema: Schema,
  /** Parses a raw Redis value; a missing key is `undefined`, and an unreadable tombstone still counts as erased. */
  fromRaw(raw: unknown): ErasureMarker | undefined {
    if (raw === null || raw === undefined) return undefined;
    try {
      const r = Schema.safeParse(JSON.parse(String(raw)));
      if (r.success) return r.data;
    } catch {
      // fall through to the fail-closed marker
    }
    // An unreadable tombstone dates from "never", so no consent can be newer and nothing is readmitted.
    return { at: '9999-12-31T23:59:59.999Z', source: 'unreadable_tombstone' };
  },
};
