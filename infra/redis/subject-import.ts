import type { SubjectRef } from '../../domain/ids.js';
import type { SubjectFieldSpec } from '../../domain/subject-field.js';
import { parseSubjectRow, type SubjectImportRow, subjectRowSchema } from '../subject-row.js';
import type { SubjectStore } from './subject-store.js';
import { rowFile, rowsOf, type RowProblem } from '../row-files.js';

export { RowFileError as SubjectImportFileError } from '../row-files.js';

/** What to import and how. */
export interface SubjectImportOptions {
  readonly file: string;
  readonly store: SubjectStore;
  readonly fields: readonly SubjectFieldSpec[];
  /** Validate every row (and check erasures) first; write nothing if any row fails. */
  readonly strict?: boolean;
  readonly batchSize?: number;
  /** Called as bytes are consumed, for a progress bar. */
  readonly onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** How many problems to keep for the report (all are counted). */
  readonly maxProblems?: number;
}

/** The outcome of an import: counts, refused rows and problems by line number. */
export interface SubjectImportReport {
  readonly format: 'jsonl' | 'csv';
  readonly strict: boolean;
  readonly rows: number;
  readonly invalidRows: number;
  readonly imported: number;
  readonly refused: readonly { readonly line: number; readonly subjectRef: SubjectRef; readonly reason: string }[];
  readonly problems: readonly RowProblem[];
  readonly problemCount: number;
  /** False when strict mode found problems and wrote nothing. */
  readonly written: boolean;
}

type ParsedRow = { ok: true; row: SubjectImportRow } | { ok: false; problems: readonly RowProblem[] };

// The message names the earlier line, never the id itself (personal data).
function duplicateCheck(parsed: ParsedRow, line: number, firstLine: Map<string, number>): ParsedRow {
  if (!parsed.ok) return parsed;
  const first = firstLine.get(parsed.row.subjectId);
  if (first === undefined) {
    firstLine.set(parsed.row.subjectId, line);
    return parsed;
  }
  return {
    ok: false,
    problems: [
      { line, field: 'id', problem: `same id as line ${first}; keep one row per subject (this row was not imported)` },
    ],
  };
}

/** Streams a JSONL or CSV file, validates every row, and writes the valid ones in pipelined batches. */
export async function importSubjects(opts: SubjectImportOptions): Promise<SubjectImportReport> {
  const { format, size: total } = rowFile(opts.file);
  const strict = opts.strict ?? false;
  const batchSize = opts.batchSize ?? 500;
  const maxProblems = opts.maxProblems ?? 1000;
  const schema = subjectRowSchema(opts.fields);
  const problems: RowProblem[] = [];
  const refused: { line: number; subjectRef: SubjectRef; reason: string }[] = [];
  let problemCount = 0;
  let rows = 0;
  let invalidRows = 0;
  let imported = 0;

  // One pass: validate, and either write (normal) or only check admission (strict's first pass).
  const pass = async (write: boolean): Promise<void> => {
    // Strict mode counts rows in its validation pass only, so the write pass does not double them.
    const counting = !strict || !write;
    let batch: { line: number; row: SubjectImportRow }[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const rowsOnly = batch.map((b) => b.row);
      const results = write
        ? await opts.store.upsertMany(rowsOnly)
        : (await opts.store.admissionOf(rowsOnly)).map((a, i) =>
            a.admit
              ? { status: 'written' as const }
              : { status: 'refused' as const, ref: opts.store.refOf(rowsOnly[i]!.subjectId), reason: a.reason },
          );
      results.forEach((r, i) => {
        if (r.status === 'written') imported += write ? 1 : 0;
        else refused.push({ line: batch[i]!.line, subjectRef: r.ref, reason: r.reason });
      });
      batch = [];
    };
    const rows$ = rowsOf(opts.file, format);
    // Subject id → first line: a later row with the same id would silently overwrite it, so it is a problem row.
    const firstLine = new Map<string, number>();
    for await (const r of rows$) {
      const parsed = duplicateCheck(
        r.problems ? ({ ok: false, problems: r.problems } as const) : parseSubjectRow(schema, r.raw, r.line),
        r.line,
        firstLine,
      );
      if (counting) {
        rows++;
        if (!parsed.ok) {
          invalidRows++;
          problemCount += parsed.problems.length;
          problems.push(...parsed.problems.slice(0, Math.max(0, maxProblems - problems.length)));
        }
      }
      if (parsed.ok) batch.push({ line: r.line, row: parsed.row });
      if (batch.length >= batchSize) await flush();
      if (r.bytes) opts.onProgress?.(r.bytes, total);
    }
    await flush();
    opts.onProgress?.(total, total);
  };

  if (!strict) {
    await pass(true);
    return { format, strict, rows, invalidRows, imported, refused, problems, problemCount, written: true };
  }
  await pass(false);
  if (problemCount > 0 || refused.length > 0)
    return { format, strict, rows, invalidRows, imported: 0, refused, problems, problemCount, written: false };
  await pass(true);
  return { format, strict, rows, invalidRows, imported, refused, problems, problemCount, written: true };
}
