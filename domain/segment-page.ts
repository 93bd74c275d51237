import type { SubjectRef } from './ids.js';
import type { GuardState } from './consent-state.js';
import type { CompiledPolicy } from './policy.js';
import { hasLiveConsent } from './live-consent.js';
import { matchesSegment, type Segment, type SegmentProfile } from './segment.js';

/** The reads a segment page needs: a cursor over subjects, minimal field reads, bulk guard state. */
export interface SegmentPorts {
  readonly pageSubjects: (
    cursor: string,
    count: number,
  ) => Promise<{ readonly cursor: string; readonly refs: readonly SubjectRef[] }>;
  readonly readFields: (ref: SubjectRef, fields: readonly string[]) => Promise<FieldsRead>;
  /** `readFields` for a page of subjects at once (one round trip); without it, one read per subject. */
  readonly readFieldsMany?: (refs: readonly SubjectRef[], fields: readonly string[]) => Promise<FieldsRead[]>;
  readonly loadGuardStates: (refs: readonly SubjectRef[]) => Promise<GuardState[]>;
}

/** A minimal profile read: only the fields asked for, or why there is none. */
export type FieldsRead =
  { status: 'found'; fields: Readonly<Record<string, string>> } | { status: 'not_found' | 'erased' };

/** A segment reads a field its campaign's purpose does not allow: reading it would itself be unlawful processing. */
export class SegmentFieldNotAllowedError extends Error {
  override readonly name = 'SegmentFieldNotAllowedError';
}

/** Fields in `fields` that `purpose` does not allow (all of them when the purpose is unknown). */
export function fieldsOutsidePurpose(policy: CompiledPolicy, purpose: string, fields: readonly string[]): string[] {
  const allowed = policy.purposes.get(purpose)?.allowedFields;
  return fields.filter((f) => !allowed?.has(f));
}

/** Refuses a segment that reads a field its campaign's purpose does not allow, before anything is read. */
function assertReadable(policy: CompiledPolicy, segment: Segment, purpose: string): void {
  const bad = fieldsOutsidePurpose(policy, purpose, segment.reads);
  if (bad.length)
    throw new SegmentFieldNotAllowedError(
      `segment ${segment.id} reads ${bad.join(', ')}, which purpose ${purpose} does not allow`,
    );
}

/** The refs whose profiles match the segment's field predicates; only the segment's declared fields are read. */
export async function matchSegmentFields(
  ports: Pick<SegmentPorts, 'readFields' | 'readFieldsMany'>,
  policy: CompiledPolicy,
  segment: Segment,
  purpose: string,
  refs: readonly SubjectRef[],
  nowMs: number,
): Promise<SubjectRef[]> {
  assertReadable(policy, segment, purpose);
  return matching(ports, segment, refs, nowMs);
}

/** The named fields of each of `refs` (nothing read when none are named), in one round trip where the port can. */
export async function readPage(
  ports: Pick<SegmentPorts, 'readFields' | 'readFieldsMany'>,
  refs: readonly SubjectRef[],
  fields: readonly string[],
): Promise<FieldsRead[]> {
  if (refs.length === 0) return [];
  if (fields.length === 0) return refs.map(() => ({ status: 'found', fields: {} }));
  if (ports.readFieldsMany) return ports.readFieldsMany(refs, fields);
  return Promise.all(refs.map((ref) => ports.readFields(ref, fields)));
}

/** The refs among `refs` whose profiles (the segment's declared fields only) match its predicates. */
async function matching(
  ports: Pick<SegmentPorts, 'readFields' | 'readFieldsMany'>,
  segment: Segment,
  refs: readonly SubjectRef[],
  nowMs: number,
): Promise<SubjectRef[]> {
  const rows = await readPage(ports, refs, segment.reads);
  return refs.filter((_, i) => {
    const r = rows[i]!;
    return r.status === 'found' && matchesSegment(segment, r.fields as SegmentProfile, nowMs);
  });
}

/** The refs a segment's consent pre-filter drops (no live consent for its purpose and channel). */
export async function withoutLiveConsent(
  ports: Pick<SegmentPorts, 'loadGuardStates'>,
  segment: Segment,
  refs: readonly SubjectRef[],
): Promise<Set<SubjectRef>> {
  const c = segment.consent;
  if (!c || refs.length === 0) return new Set();
  const states = await ports.loadGuardStates(refs);
  return new Set(refs.filter((_, i) => !hasLiveConsent(states[i]!, c.purpose, c.channel)));
}

/**
 * Evaluates one page of a segment: only the segment's declared fields are read, and only if the purpose allows
 * them. The whole audience is never loaded: the caller carries the cursor.
 */
export async function evaluateSegmentPage(
  ports: SegmentPorts,
  policy: CompiledPolicy,
  segment: Segment,
  purpose: string,
  cursor: string,
  count: number,
  nowMs = Date.now(),
): Promise<{ cursor: string; scanned: number; members: SubjectRef[] }> {
  assertReadable(policy, segment, purpose);
  const page = await ports.pageSubjects(cursor, count);
  let refs = [...page.refs];
  if (segment.consent) {
    // Deliberately not handed on to the guard: the guard re-reads consent itself right before deciding.
    const states = await ports.loadGuardStates(refs);
    const c = segment.consent;
    refs = refs.filter((_, i) => hasLiveConsent(states[i]!, c.purpose, c.channel));
  }
  const members = await matching(ports, segment, refs, nowMs);
  return { cursor: page.cursor, scanned: page.refs.length, members };
}
