import { z } from 'zod';
import { SubjectId } from '../domain/ids.js';
import { fieldValueSchema, type SubjectFieldSpec } from '../domain/subject-field.js';

import type { RowProblem } from './row-files.js';

export type { RowProblem } from './row-files.js';

/** A validated row: the subject id plus field values as the strings the store encrypts. */
export interface SubjectImportRow {
  readonly subjectId: string;
  readonly fields: Record<string, string>;
}

/** The zod schema of an import row, built from the subject field list: `id` required, unknown columns rejected. */
export function subjectRowSchema(fields: readonly SubjectFieldSpec[]) {
  const shape: Record<string, z.ZodType> = { id: SubjectId };
  for (const f of fields) shape[f.name] = fieldValueSchema(f).optional();
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown column; the subject schema has: id, ${fields.map((f) => f.name).join(', ')}`
        : undefined,
  });
}

/** Validates one raw row (empty and null values count as absent); problems come back as values. */
export function parseSubjectRow(
  schema: ReturnType<typeof subjectRowSchema>,
  raw: unknown,
  line: number,
): { ok: true; row: SubjectImportRow } | { ok: false; problems: RowProblem[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, problems: [{ line, field: '(row)', problem: 'row must be a JSON object' }] };
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null && v !== undefined && v !== ''));
  const r = schema.safeParse(cleaned);
  if (!r.success) {
    return {
      ok: false,
      problems: r.error.issues.flatMap((i) =>
        i.code === 'unrecognized_keys'
          ? i.keys.map((k) => ({ line, field: k, problem: i.message }))
          : [{ line, field: String(i.path[0] ?? '(row)'), problem: i.message }],
      ),
    };
  }
  const { id, ...rest } = r.data as Record<string, string | number>;
  return {
    ok: true,
    row: { subjectId: String(id), fields: Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, String(v)])) },
  };
}
