import { ulid } from 'ulid';
import { z } from 'zod';
import { ConsentEventType, type ConsentEvent } from '../../domain/consent.js';
import { buildConsentEvent } from '../../domain/consent-record.js';
import { SubjectId, type SubjectRef } from '../../domain/ids.js';
import type { PolicyBundle } from '../../domain/policy.js';
import { rowFile, rowsOf, type RowProblem } from '../row-files.js';
import type { ConsentStore } from './consent-store.js';

const COLUMNS =
  'subject_id, type, purpose, channel, occurred_at, notice_version, language, collection_point, method, jurisdiction, source, given_by';

/** One row of a consent migration file: who answered what, when, under which notice, where and how. */
export const ConsentImportRow = z.strictObject(
  {
    subject_id: SubjectId,
    type: z.enum(ConsentEventType),
    purpose: z.string().min(1),
    channel: z.string().min(1),
    occurred_at: z.string().min(1, 'occurred_at is required: the time the subject answered, like 2025-03-01T09:30:00Z'),
    notice_version: z.coerce.number().int().positive().optional(),
    language: z.string().min(1),
    collection_point: z.string().min(1).max(200),
    method: z.string().min(1),
    jurisdiction: z.string().min(1),
    source: z.string().min(1).max(200).default('import'),
    /** `guardian` when a minor's guardian answered (PIPL 31, GDPR 8), as `consent grant --given-by`; empty means the subject. */
    given_by: z
      .enum(['subject', 'guardian'], {
        error:
          "must be subject or guardian (guardian when a minor's guardian answered); leave it empty for the subject",
      })
      .optional(),
  },
  { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown column; consent columns are ${COLUMNS}` : undefined) },
);

/** What to import: the file, where consent lives, how ids become refs, and the policy the evidence is checked against. */
export interface ConsentImportOptions {
  readonly file: string;
  readonly consent: ConsentStore;
  readonly pseudonymize: (subjectId: string) => SubjectRef;
  readonly policy: PolicyBundle;
  /** Check every row first and write nothing if any fails. */
  readonly strict?: boolean;
  readonly now?: Date;
}

/** The outcome: counts and problems by line (never the values, which may be personal data). */
export interface ConsentImportReport {
  readonly format: 'jsonl' | 'csv';
  readonly rows: number;
  readonly invalidRows: number;
  readonly imported: number;
  readonly problems: readonly RowProblem[];
  readonly written: boolean;
}

type Checked = { ok: true; event: ConsentEvent } | { ok: false; problems: RowProblem[] };

function checkRow(raw: unknown, line: number, opts: ConsentImportOptions, now: Date): Checked {
  const cleaned =
    raw !== null && typeof raw === 'object'
      ? Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '' && v !== null))
      : raw;
  const r = ConsentImportRow.safeParse(cleaned);
  if (!r.success) {
    return {
      ok: false,
      problems: r.error.issues.flatMap((i) =>
        (i.code === 'unrecognized_keys' ? i.keys : [String(i.path[0] ?? '(row)')]).map((field) => ({
          line,
          field,
          problem: i.message,
        })),
      ),
    };
  }
  const row = r.data;
  const built = buildConsentEvent(
    {
      type: row.type,
      subjectRef: opts.pseudonymize(row.subject_id),
      purpose: row.purpose,
      channel: row.channel,
      noticeVersion: row.notice_version,
      language: row.language,
      collectionPoint: row.collection_point,
      method: row.method,
      jurisdiction: row.jurisdiction,
      source: row.source,
      occurredAt: row.occurred_at,
      givenBy: row.given_by,
    },
    opts.policy,
    now,
    ulid(now.getTime()),
  );
  if (!built.ok)
    return {
      ok: false,
      problems: [
        {
          line,
          field:
            built.field === 'occurredAt'
              ? 'occurred_at'
              : built.field === 'noticeVersion'
                ? 'notice_version'
                : built.field === 'collectionPoint'
                  ? 'collection_point'
                  : built.field === 'givenBy'
                    ? 'given_by'
                    : String(built.field),
          problem: built.problem,
        },
      ],
    };
  return { ok: true, event: built.event };
}

const keyOf = (e: ConsentEvent) => `${e.subjectRef}|${e.purpose}|${e.channel}`;

/**
 * Imports consent answers collected elsewhere with their real times and evidence. Each subject's history must run
 * oldest first, in the file and after what is stored: an older answer after a newer one is refused by line.
 */
export async function importConsents(opts: ConsentImportOptions): Promise<ConsentImportReport> {
  const { format } = rowFile(opts.file);
  const now = opts.now ?? new Date();
  const problems: RowProblem[] = [];
  let rows = 0;
  let imported = 0;
  const invalid = new Set<number>();
  const refuse = (p: RowProblem) => (problems.push(p), invalid.add(p.line));

  const pass = async (write: boolean): Promise<void> => {
    const latest = new Map<string, string>();
    for await (const r of rowsOf(opts.file, format)) {
      // Strict mode counts in its checking pass only, so the write pass does not double the rows.
      if (!opts.strict || !write) rows++;
      const c: Checked = r.problems ? { ok: false, problems: r.problems } : checkRow(r.raw, r.line, opts, now);
      if (!c.ok) {
        c.problems.forEach(refuse);
        continue;
      }
      const at = c.event.occurredAt;
      const seen =
        latest.get(keyOf(c.event)) ??
        (await opts.consent.projection(c.event.subjectRef))[`${c.event.purpose}|${c.event.channel}`]?.occurredAt;
      if (!write && seen !== undefined && seen > at) {
        refuse({
          line: r.line,
          field: 'occurred_at',
          problem: `older than this subject's answer at ${seen} for the same purpose and channel; list each subject's history oldest first`,
        });
        continue;
      }
      latest.set(keyOf(c.event), at);
      if (!write) continue;
      const res = await opts.consent.appendBackdated(c.event);
      if (res.status === 'appended') imported++;
      else
        refuse({
          line: r.line,
          field: 'occurred_at',
          problem: `older than this subject's answer at ${res.latestAt} for the same purpose and channel; list each subject's history oldest first`,
        });
    }
  };
  if (opts.strict) {
    await pass(false);
    if (problems.length > 0) return { format, rows, invalidRows: invalid.size, imported: 0, problems, written: false };
  }
  await pass(true);
  return { format, rows, invalidRows: invalid.size, imported, problems, written: true };
}
