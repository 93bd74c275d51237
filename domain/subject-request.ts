import { z } from 'zod';
import { SubjectRef } from './ids.js';
import { fieldValueSchema, type SubjectFieldSpec } from './subject-field.js';

/** The rights a data subject request exercises (GDPR 15-17, PIPL 45-47). */
export const SubjectRequestType = { access: 'access', correct: 'correct', erase: 'erase' } as const;
export type SubjectRequestType = (typeof SubjectRequestType)[keyof typeof SubjectRequestType];

/** Where a request stands; `refused` carries a reason (PIPL 46: refusals are recorded with reasons). */
export const SubjectRequestStatus = {
  received: 'received',
  in_progress: 'in_progress',
  completed: 'completed',
  refused: 'refused',
} as const;
export type SubjectRequestStatus = (typeof SubjectRequestStatus)[keyof typeof SubjectRequestStatus];

/** The pseudonymous status record of a request: what the workflow query, the API and the review read. */
export const SubjectRequestRecord = z.strictObject({
  requestId: z.string().min(1).max(160),
  type: z.enum(SubjectRequestType),
  subjectRef: SubjectRef,
  status: z.enum(SubjectRequestStatus),
  receivedAt: z.iso.datetime(),
  deadline: z.iso.datetime(),
  completedAt: z.iso.datetime().optional(),
  refusal: z.string().max(200).optional(),
  /** Access: the bundle's id under `<dataDir>/dsar/`. */
  bundleId: z.string().max(200).optional(),
  /** Access: when the bundle is deleted at the latest (retention window); it goes earlier once delivered or on erasure. */
  bundleExpiresAt: z.iso.datetime().optional(),
  /** Correct: the names (never the values) of the fields changed. */
  fieldsCorrected: z.array(z.string()).optional(),
  /** Erase and correct: the propagation workflow informing processors. */
  propagationId: z.string().max(200).optional(),
});
export type SubjectRequestRecord = z.infer<typeof SubjectRequestRecord>;

/** Whether a request missed its deadline at `now` (still open past it, or closed after it). */
export function isOverdue(r: SubjectRequestRecord, now: Date): boolean {
  const closedAt = r.completedAt ? Date.parse(r.completedAt) : now.getTime();
  return closedAt > Date.parse(r.deadline);
}

/** A request id: type plus a ULID taken at intake, so every request (repeats too) is its own register entry. */
export const SubjectRequestId = z
  .string()
  .regex(/^dsar-(access|correct|erase)-[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a request id such as dsar-access-01J…');
export type SubjectRequestId = z.infer<typeof SubjectRequestId>;

/** Builds the request id from its type and the ULID minted at intake (the domain mints no ids: no clock here). */
export function subjectRequestId(type: SubjectRequestType, ulid: string): SubjectRequestId {
  return SubjectRequestId.parse(`dsar-${type}-${ulid}`);
}

/** A correction checked against the subject schema: the fields, or every problem by field name. */
export type CorrectionCheck =
  | { readonly ok: true; readonly fields: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly issues: readonly { readonly path: string[]; readonly message: string }[] };

/** Validates corrections field by field against the policy's subject schema (unknown fields are refused). */
export function checkCorrections(
  corrections: Readonly<Record<string, unknown>>,
  specs: readonly SubjectFieldSpec[],
): CorrectionCheck {
  const byName = new Map(specs.map((s) => [s.name, s] as const));
  const issues: { path: string[]; message: string }[] = [];
  const fields: Record<string, string> = {};
  const entries = Object.entries(corrections);
  if (!entries.length) issues.push({ path: ['corrections'], message: 'name at least one field to correct' });
  for (const [name, value] of entries) {
    const spec = byName.get(name);
    if (!spec) {
      issues.push({
        path: ['corrections', name],
        message: `unknown field; the subject schema has: ${specs.map((s) => s.name).join(', ')}`,
      });
      continue;
    }
    const r = fieldValueSchema(spec).safeParse(value);
    if (!r.success)
      issues.push({ path: ['corrections', name], message: r.error.issues[0]?.message ?? 'invalid value' });
    else fields[name] = String(r.data);
  }
  return issues.length ? { ok: false, issues } : { ok: true, fields };
}
