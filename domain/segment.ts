import { z } from 'zod';
import { ChannelSchema } from './channel.js';
import { PurposeId } from './purpose-id.js';
import { issueProblem, type DefinitionProblem } from './load-result.js';

export { daysSince } from './segment-time.js';

/** The profile a segment predicate sees: only the fields it declared in `reads`, nothing else. */
export type SegmentProfile = Readonly<Record<string, string | number | undefined>>;

/** Evaluation context, so predicates stay pure: "now" is passed in, never read from a clock. */
export interface SegmentContext {
  readonly nowMs: number;
}

const SegmentShape = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'segment id must be kebab-case, like lapsed-customers'),
  description: z.string().min(1),
  /** Reading a field is processing: the campaign's purpose must allow every field listed here. */
  reads: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'field names are lower snake_case')),
  /** Only subjects with current consent for this purpose and channel are candidates (checked by the store). */
  consent: z.strictObject({ purpose: PurposeId, channel: ChannelSchema }).optional(),
  /**
   * The jurisdictions (rule codes) of the subjects it targets; campaign lint checks every send against their rules.
   * Absent means the purpose's, else every jurisdiction. The guard still applies each subject's own rules.
   */
  jurisdictions: z
    .array(z.string().regex(/^[A-Z]{2}$/, 'jurisdictions are rule codes like CN or EU'))
    .min(1)
    .optional(),
});

/** A segment as code: a predicate over declared profile fields, plus an optional consent pre-filter. */
export interface Segment extends Omit<z.infer<typeof SegmentShape>, 'reads'> {
  readonly reads: readonly string[];
  readonly where: (p: SegmentProfile, ctx: SegmentContext) => boolean;
}

/** What `defineSegment` accepts. */
export type SegmentInput = z.input<typeof SegmentShape> & { readonly where: Segment['where'] };

/** A segment definition is malformed; `problems` name each path. */
export class SegmentDefinitionError extends Error {
  override readonly name = 'SegmentDefinitionError';
  constructor(
    readonly problems: readonly DefinitionProblem[],
    id: string,
  ) {
    super(`segment "${id}" is invalid: ${problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ')}`);
  }
}

/** Validates a segment: frozen, or every problem with its path. */
export function parseSegment(
  input: unknown,
): { ok: true; value: Segment } | { ok: false; problems: DefinitionProblem[] } {
  const { where, ...rest } = (input !== null && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const parsed = SegmentShape.safeParse(rest, { reportInput: true });
  const problems = parsed.success ? [] : parsed.error.issues.map(issueProblem);
  if (typeof where !== 'function')
    problems.push({ path: 'where', message: 'must be a function (profile, ctx) => boolean' });
  if (!parsed.success || typeof where !== 'function') return { ok: false, problems };
  return {
    ok: true,
    value: Object.freeze({
      ...parsed.data,
      reads: Object.freeze([...parsed.data.reads]),
      where: where as Segment['where'],
    }),
  };
}

/** Validates a segment and returns it frozen; throws SegmentDefinitionError naming the path. */
export function defineSegment(input: SegmentInput): Segment {
  const r = parseSegment(input);
  if (!r.ok) throw new SegmentDefinitionError(r.problems, String((input as { id?: unknown }).id));
  return r.value;
}

/** Runs the predicate over exactly the declared fields, so an undeclared field can never influence membership. */
export function matchesSegment(segment: Segment, row: SegmentProfile, nowMs: number): boolean {
  const view: Record<string, string | number | undefined> = Object.create(null) as Record<
    string,
    string | number | undefined
  >;
  for (const f of segment.reads) view[f] = Object.hasOwn(row, f) ? row[f] : undefined;
  return segment.where(Object.freeze(view), { nowMs });
}
