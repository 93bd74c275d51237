import { readFile, rename } from 'node:fs/promises';
import { ensurePrivateDir, namesIn, writePrivateFile } from '../private-files.js';
import { join, resolve } from 'node:path';
import { ReviewId, ReviewReport, type ReportSummary } from '../../domain/review-report.js';

export type { ReportSummary } from '../../domain/review-report.js';
import type { AppConfig } from '../config.js';

/** A stored report that fails its schema, or an id that is not a review id: the message names the file or id. */
export class ReviewReportError extends Error {
  override readonly name = 'ReviewReportError';
}

/** Where reports live: CONSENTFLOW_REPORTS_DIR, else `<dataDir>/reports`, as an absolute path. */
export function reportsDirOf(config: AppConfig): string {
  return resolve(config.env.CONSENTFLOW_REPORTS_DIR ?? join(config.dataDir, 'reports'));
}

function checkedId(id: string): string {
  // The id becomes a file name and arrives from URLs: only the review id shape may pass.
  if (!ReviewId.safeParse(id).success)
    throw new ReviewReportError(
      `"${id}" is not a review id; ids look like 20250131T120000Z-1a2b3c4d (see \`consentflow review show\`)`,
    );
  return id;
}

/** Path of a report's JSON file. */
export const reportJsonPath = (dir: string, id: string): string => join(resolve(dir), `${checkedId(id)}.json`);
/** Path of a report's self-contained HTML file (what the API serves and a reviewer opens). */
export const reportHtmlPath = (dir: string, id: string): string => join(resolve(dir), `${checkedId(id)}.html`);

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writePrivateFile(tmp, text);
  await rename(tmp, path);
}

/** Validates and writes a report as JSON and HTML (HTML first, so a listed JSON always has its HTML). */
export async function writeReport(
  dir: string,
  report: ReviewReport,
  html: string,
): Promise<{ jsonPath: string; htmlPath: string }> {
  const parsed = ReviewReport.parse(report);
  await ensurePrivateDir(dir);
  const htmlPath = reportHtmlPath(dir, parsed.id);
  const jsonPath = reportJsonPath(dir, parsed.id);
  await writeAtomic(htmlPath, html);
  await writeAtomic(jsonPath, `${JSON.stringify(parsed, null, 2)}\n`);
  return { jsonPath, htmlPath };
}

/** Reads and validates one report; null when there is no report with that id. */
export async function readReport(dir: string, id: string): Promise<ReviewReport | null> {
  let text: string;
  try {
    text = await readFile(reportJsonPath(dir, id), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ReviewReportError(`report ${id} in ${dir} is not JSON; it was damaged after it was written`);
  }
  const r = ReviewReport.safeParse(raw);
  if (!r.success)
    throw new ReviewReportError(
      `report ${id} in ${dir} does not match report schema v1: ${r.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  return r.data;
}

/** The summary line of a report. */
export function summarize(dir: string, r: ReviewReport): ReportSummary {
  return {
    id: r.id,
    status: r.status,
    period: r.period,
    generatedAt: r.generatedAt,
    entries: r.totals.entries,
    violations: r.invariants.reduce((a, i) => a + i.count, 0),
    chainBreaks: r.chain.breaks.length,
    anomalies: r.anomalies.items.length,
    failures: r.failures,
    jsonPath: reportJsonPath(dir, r.id),
    htmlPath: reportHtmlPath(dir, r.id),
  };
}

/** Every report in the directory, newest first; an empty list when the directory does not exist yet. */
export async function listReports(dir: string): Promise<ReportSummary[]> {
  const names = await namesIn(dir);
  const ids = names
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.slice(0, -5))
    .filter((id) => ReviewId.safeParse(id).success);
  const reports = await Promise.all(ids.map((id) => readReport(dir, id)));
  return reports
    .filter((r): r is ReviewReport => r !== null)
    .map((r) => summarize(dir, r))
    .sort((a, b) => b.generatedAt.localeCompare(a.generatedAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}
