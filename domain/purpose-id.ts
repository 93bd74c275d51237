import { z } from 'zod';

/** A dotted hierarchical purpose id such as `marketing.email.newsletter`: lower-case snake_case segments. */
export const PurposeId = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/,
    'purpose id must be dotted lower-case segments, like marketing.email.newsletter',
  );
export type PurposeId = z.infer<typeof PurposeId>;

/** The ancestors of a purpose id, nearest first: `a.b.c` → [`a.b`, `a`]. */
export function purposeAncestors(id: string): string[] {
  const out: string[] = [];
  for (let i = id.lastIndexOf('.'); i > 0; i = id.lastIndexOf('.', i - 1)) out.push(id.slice(0, i));
  return out;
}
