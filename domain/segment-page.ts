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
  readonly readFields: (
    ref: SubjectRef,
    fields: readonly string[],
  ) => Promise<{ status: 'found'; fields: Readonly<Record<string, string>> } | { status: 'not_found' | 'erased' }>;
  readonly loadGuardStates: (refs: readonly SubjectRef[]) => Promise<GuardState[]>;
}

/** A segment reads a field its campaign's purpose does not allow: reading it would itself be unlawful processing. */
export class SegmentFieldNotAllowedError extends Error {
  override readonly name = 'SegmentFieldNotAllowedError';
}

/** Fields in `fields` that `purpose` does not allow (all of them when the purpose is unknown). */
export function fieldsOutsidePurpose(policy: CompiledPolicy, purpose: string, fields: readonly string[]): string[] {
  const allowed = policy.purposes.get(purpose)?.allowedFields;
  return fields.filter((f) => !allowed?.has(f));
}

/** The refs whose profiles match the segment's field predicates; only the segment's declared fields are read. */
export async function matchSegmentFields(
  ports: Pick<SegmentPorts, 'readFields'>,
  policy: CompiledPolicy,
  segment: Segment,
  purpose: string,
  refs: readonly SubjectRef[],
  nowMs: number,
): Promise<SubjectRef[]> {
  const bad = fieldsOutsidePurpose(policy, purpose, segment.reads);
  if (bad.length)
    throw new SegmentFieldNotAllowedError(
      `segment ${segment.id} reads ${bad.join(', ')}, which purpose ${purpose} does not allow`,
    );
  const rows = await Promise.all(
    refs.map((ref) =>
      segment.reads.length
        ? ports.readFields(ref, segment.reads)
        : Promise.resolve({ status: 'found' as const, fields: {} }),
    ),
  );
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
  const bad = fieldsOutsidePurpose(policy, purpose, segment.reads);
  if (bad.length)
    throw new SegmentFieldNotAllowedError(
      `segment ${segment.id} reads ${bad.join(', ')}, which purpose ${purpose} does not allow`,
    );
  const page = await ports.pageSubjects(cursor, count);
  let refs = [...page.refs];
  if (segment.consent) {
    // Deliberately not handed on to the guard: the guard re-reads consent itself right before deciding.
    const states = await ports.loadGuardStates(refs);
    const c = segment.consent;
    refs = refs.filter((_, i) => hasLiveConsent(states[i]!, c.purpose, c.channel));
  }
  const rows = await Promise.all(
    refs.map((ref) =>
      segment.reads.length
        ? ports.readFields(ref, segment.reads)
        : Promise.resolve({ status: 'found' as const, fields: {} }),
    ),
  );
  const members = refs.filter((_, i) => {
    const r = rows[i]!;
    return r.status === 'found' && matchesSegment(segment, r.fields as SegmentProfile, nowMs);
  });
  return { cursor: page.cursor, scanned: page.refs.length, members };
}
