import { join } from 'node:path';
import type { LogEntry, LogOutcome, LogKind } from '../../domain/decision-log.js';
import { actorOf } from '../../domain/operator-action.js';
import { CSV_HEADER, csvLine, decodeEntry, orderedEntry, partitionOf } from '../../domain/decision-log-canonical.js';
import type { DecisionLogOptions } from './decision-log-options.js';
import { LogEntryCorruptError } from './decision-log-errors.js';
import { CLOCK_SKEW_MS, redisPages, segmentPages, type RawRecord } from './decision-log-read.js';
import { readManifest, segmentsDir } from './decision-log-segments.js';

/** Filters of a log query; every given filter must match. `since` is inclusive, `until` exclusive. */
export interface LogQuery {
  readonly subjectRef?: string;
  readonly campaignId?: string;
  readonly purpose?: string;
  readonly outcome?: LogOutcome;
  readonly kind?: LogKind;
  readonly reason?: string;
  /** Operator entries of this actor only. */
  readonly actor?: string;
  readonly since?: Date;
  readonly until?: Date;
}

/** A page of query results and the opaque cursor for the next one. */
export interface QueryPage {
  readonly entries: LogEntry[];
  readonly cursor: string | null;
}

/** Options of an export: the format and the period. */
export interface ExportOptions {
  readonly format: 'jsonl' | 'csv';
  readonly since?: Date;
  readonly until?: Date;
}

const matches = (q: LogQuery, e: LogEntry): boolean => {
  const t = Date.parse(e.at);
  return (
    (q.subjectRef === undefined || e.subjectRef === q.subjectRef) &&
    (q.campaignId === undefined || e.campaignId === q.campaignId) &&
    (q.purpose === undefined || e.purpose === q.purpose) &&
    (q.outcome === undefined || e.outcome === q.outcome) &&
    (q.kind === undefined || e.kind === q.kind) &&
    (q.reason === undefined || e.reasons.includes(q.reason)) &&
    (q.actor === undefined || actorOf(e) === q.actor) &&
    (q.since === undefined || t >= q.since.getTime()) &&
    (q.until === undefined || t < q.until.getTime())
  );
};

function decode(partition: number, r: RawRecord): LogEntry {
  const d = decodeEntry(r.canonical, r.hash);
  if (!d.ok)
    throw new LogEntryCorruptError(
      `decision log chain ${partition}, stream id ${r.streamId}: ${d.message}; run \`consentflow log verify\` to locate the damage`,
    );
  return d.entry;
}

/** The matching entries of one chain in chain order: its sealed segments, then Redis. */
async function* partitionEntries(
  o: DecisionLogOptions,
  p: number,
  q: LogQuery,
  afterSeq: number,
): AsyncGenerator<LogEntry> {
  // Stream ids carry Redis's clock and `at` the writer's: read wider by the skew appends enforce, filter on `at`.
  const from = q.since ? q.since.getTime() - CLOCK_SKEW_MS : -Infinity;
  const to = q.until ? q.until.getTime() + CLOCK_SKEW_MS : Infinity;
  const segments = (await readManifest(o.dataDir, o.logRing)).filter((s) => s.partition === p);
  for (const seg of segments) {
    // Removed by retention: its entries are gone on purpose (the manifest keeps only its hashes).
    if (seg.removedAt !== undefined) continue;
    if (seg.lastSeq <= afterSeq || seg.toMs < from || seg.fromMs > to) continue;
    for await (const page of segmentPages(join(segmentsDir(o.dataDir), seg.file))) {
      for (const r of page) {
        const e = decode(p, r);
        if (e.seq > afterSeq && matches(q, e)) yield e;
      }
    }
  }
  const skip = Math.max(afterSeq, segments.at(-1)?.lastSeq ?? 0);
  const start = Number.isFinite(from) ? String(Math.max(0, from)) : '-';
  const end = Number.isFinite(to) ? String(to) : '+';
  for await (const page of redisPages(o.redis, o.keys.logChain(p), start, end)) {
    for (const r of page) {
      const e = decode(p, r);
      if (e.seq > skip && matches(q, e)) yield e;
    }
  }
}

type Cursor = Record<string, number>;
const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(s: string | undefined): Cursor {
  if (!s) return {};
  try {
    const c: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (c && typeof c === 'object' && Object.values(c).every((v) => Number.isInteger(v))) return c as Cursor;
  } catch {
    // fall through to the error below
  }
  throw new RangeError('the query cursor is not one this log handed out; start again without it');
}

/** Merges the chains oldest first by (at, id); a subject filter reads only the subject's chain. */
async function* merged(o: DecisionLogOptions, q: LogQuery, cursor: Cursor): AsyncGenerator<LogEntry> {
  const parts = q.subjectRef
    ? [partitionOf(q.subjectRef, o.partitions)]
    : Array.from({ length: o.partitions }, (_, i) => i);
  const its = parts.map((p) => partitionEntries(o, p, q, cursor[String(p)] ?? 0));
  try {
    const heads = await Promise.all(its.map((it) => it.next()));
    for (;;) {
      let best = -1;
      heads.forEach((h, i) => {
        const b = heads[best];
        if (
          !h.done &&
          (best < 0 ||
            !b ||
            b.done ||
            h.value.at < b.value.at ||
            (h.value.at === b.value.at && h.value.id < b.value.id))
        )
          best = i;
      });
      const h = heads[best];
      if (!h || h.done) return;
      yield h.value;
      heads[best] = await its[best]!.next();
    }
  } finally {
    // Close every chain reader, so segment files are not left open when the caller stops early.
    await Promise.all(its.map((it) => it.return(undefined)));
  }
}

/** Streams matching entries oldest first. */
export function queryEntries(o: DecisionLogOptions, q: LogQuery): AsyncGenerator<LogEntry> {
  return merged(o, q, {});
}

/** One page of at most `limit` entries plus the cursor that resumes after it. */
export async function queryPage(
  o: DecisionLogOptions,
  q: LogQuery,
  limit: number,
  cursor?: string,
): Promise<QueryPage> {
  const c = decodeCursor(cursor);
  const entries: LogEntry[] = [];
  let more = false;
  for await (const e of merged(o, q, c)) {
    if (entries.length === limit) {
      more = true;
      break;
    }
    entries.push(e);
    c[String(e.partition)] = e.seq;
  }
  return { entries, cursor: more ? encodeCursor(c) : null };
}

/** Streams export lines (CSV starts with its header); each line is newline-free. */
export async function* exportEntries(o: DecisionLogOptions, x: ExportOptions): AsyncGenerator<string> {
  if (x.format === 'csv') yield CSV_HEADER;
  for await (const e of merged(o, { since: x.since, until: x.until }, {})) {
    yield x.format === 'csv' ? csvLine(e) : JSON.stringify(orderedEntry(e));
  }
}
