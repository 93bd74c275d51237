import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

/** One problem with one row of an imported file, by line number: never the value itself (it may be personal data). */
export interface RowProblem {
  readonly line: number;
  readonly field: string;
  readonly problem: string;
}

/** One row as read: its raw object, or the problems that stopped it being read; `bytes` read so far. */
export interface RawRow {
  readonly line: number;
  readonly raw?: unknown;
  readonly problems?: RowProblem[];
  readonly bytes: number;
}

/** The file is not something an importer can read (wrong extension, missing); the message says what to do. */
export class RowFileError extends Error {
  override readonly name = 'RowFileError';
}

/** The file's format from its extension, and its size (for progress); throws RowFileError naming the fix. */
export function rowFile(file: string): { readonly format: 'jsonl' | 'csv'; readonly size: number } {
  const ext = extname(file).toLowerCase();
  const format = ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : ext === '.csv' ? 'csv' : undefined;
  if (!format)
    throw new RowFileError(
      `${file}: unsupported file type "${ext || '(none)'}"; use .jsonl (one JSON object per line) or .csv (with a header row)`,
    );
  try {
    return { format, size: statSync(file).size };
  } catch {
    throw new RowFileError(`${file}: file not found or not readable`);
  }
}

/** Rows of a JSONL or CSV file, streamed. */
export function rowsOf(file: string, format: 'jsonl' | 'csv'): AsyncGenerator<RawRow> {
  return format === 'csv' ? csvRows(file) : jsonlRows(file);
}

async function* jsonlRows(file: string): AsyncGenerator<RawRow> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let line = 0;
  let bytes = 0;
  for await (const text of rl) {
    line++;
    bytes += Buffer.byteLength(text) + 1;
    if (text.trim() === '') continue;
    try {
      yield { line, raw: JSON.parse(text), bytes };
    } catch {
      yield {
        line,
        problems: [{ line, field: '(row)', problem: 'not valid JSON; each line must be one JSON object' }],
        bytes,
      };
    }
  }
}

async function* csvRows(file: string): AsyncGenerator<RawRow> {
  const parser = createReadStream(file).pipe(
    parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }),
  );
  let header: string[] | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number; bytes: number };
    }>) {
      if (!header) {
        header = record;
        const dupes = header.filter((h, i) => header!.indexOf(h) !== i);
        if (dupes.length) {
          yield {
            line: info.lines,
            problems: dupes.map((d) => ({ line: info.lines, field: d, problem: 'column appears twice in the header' })),
            bytes: info.bytes,
          };
          return;
        }
        continue;
      }
      if (record.length !== header.length) {
        yield {
          line: info.lines,
          problems: [
            {
              line: info.lines,
              field: '(row)',
              problem: `row has ${record.length} columns, the header has ${header.length}`,
            },
          ],
          bytes: info.bytes,
        };
        continue;
      }
      yield { line: info.lines, raw: Object.fromEntries(header.map((h, i) => [h, record[i]])), bytes: info.bytes };
    }
  } catch (e) {
    const line = (e as { lines?: number }).lines ?? 0;
    yield {
      line,
      problems: [{ line, field: '(file)', problem: `CSV cannot be parsed past this point: ${(e as Error).message}` }],
      bytes: 0,
    };
  }
}
