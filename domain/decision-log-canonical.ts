import { LOG_COLUMNS, LogEntry, V2_COLUMNS } from './decision-log.js';

/** Version tag leading every canonical entry written now, so the stored format can evolve without ambiguity. */
export const CANONICAL_VERSION = 'v2';

type HashedColumn = Exclude<(typeof LOG_COLUMNS)[number], 'hash'>;
/** The columns that the hash covers: every column but the hash itself, prevHash included (that is the chain). */
export const HASHED_COLUMNS = LOG_COLUMNS.filter((c) => c !== 'hash') as HashedColumn[];
// v1 entries (written before the transfer columns) stay readable and verifiable: same order, without them.
const V1_HASHED = HASHED_COLUMNS.filter((c) => !(V2_COLUMNS as readonly string[]).includes(c));
const COLUMNS_BY_VERSION: Readonly<Record<string, readonly HashedColumn[]>> = { v1: V1_HASHED, v2: HASHED_COLUMNS };

/** An entry before its hash is known. */
export type UnhashedEntry = Omit<LogEntry, 'hash'>;

// Positions inside the canonical array (after the version tag), read by the verifier without a full parse; the
// same in every version (new columns go before prevHash, which stays last).
const at = (c: HashedColumn): number => HASHED_COLUMNS.indexOf(c) + 1;
const SEQ = at('seq');
const PARTITION = at('partition');

/**
 * The canonical serialisation the HMAC covers: a JSON array in the fixed column order. An array (not an object)
 * makes the order part of the format and keeps each stored entry small. The columns are read by name in
 * HASHED_COLUMNS order (a test holds the two to the same text), not by a loop of dynamic keys: every appended entry
 * passes here, and named reads cost a fraction of computed ones.
 */
export function canonicalEntry(e: UnhashedEntry): string {
  return JSON.stringify([
    CANONICAL_VERSION,
    e.id,
    e.at,
    e.seq,
    e.partition,
    e.kind,
    e.subjectRef,
    e.campaignId,
    e.campaignVersion,
    e.workflowId,
    e.runId,
    e.stepId,
    e.purpose,
    e.channel,
    e.processor,
    e.outcome,
    e.reasons,
    e.consentEventId,
    e.noticeVersion,
    e.policyVersion,
    e.fieldsRequested,
    e.fieldsReleased,
    e.fieldsWithheld,
    e.templateId,
    e.templateHash,
    e.decisionId,
    e.result,
    e.smtpCode,
    e.messageId,
    e.jurisdiction,
    e.transferTo,
    e.transferMechanism,
    e.transferMechanismKind,
    e.transferValidFrom,
    e.transferValidUntil,
    e.transferConsentEventId,
    e.prevHash,
  ]);
}

/** Result of decoding a stored entry: expected failures are values with a stable code. */
export type DecodeResult =
  { ok: true; entry: LogEntry } | { ok: false; code: 'not_json' | 'bad_shape'; message: string };

/** Decodes a stored canonical entry plus its hash and validates it with the entry schema. */
export function decodeEntry(canonical: string, hash: string): DecodeResult {
  let arr: unknown;
  try {
    arr = JSON.parse(canonical);
  } catch {
    return { ok: false, code: 'not_json', message: 'stored entry is not JSON' };
  }
  const columns = Array.isArray(arr) ? COLUMNS_BY_VERSION[String(arr[0])] : undefined;
  if (!Array.isArray(arr) || columns === undefined || arr.length !== columns.length + 1) {
    return {
      ok: false,
      code: 'bad_shape',
      message: `stored entry is not a v1 or ${CANONICAL_VERSION} canonical array`,
    };
  }
  const obj: Record<string, unknown> = {};
  for (const c of V2_COLUMNS) obj[c] = null;
  columns.forEach((c, i) => (obj[c] = arr[i + 1]));
  obj.hash = hash;
  const r = LogEntry.safeParse(obj);
  if (!r.success)
    return {
      ok: false,
      code: 'bad_shape',
      message: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    };
  return { ok: true, entry: r.data };
}

/** The chain position a stored entry claims, read cheaply for verification; null when it is not readable. */
export function chainPosition(canonical: string): { seq: number; partition: number; prevHash: string } | null {
  try {
    const arr: unknown = JSON.parse(canonical);
    if (!Array.isArray(arr) || COLUMNS_BY_VERSION[String(arr[0])] === undefined) return null;
    const [seq, partition, prevHash] = [arr[SEQ], arr[PARTITION], arr[arr.length - 1]];
    if (typeof seq !== 'number' || typeof partition !== 'number' || typeof prevHash !== 'string') return null;
    return { seq, partition, prevHash };
  } catch {
    return null;
  }
}

/** The chain a subject's entries go to: FNV-1a of the subjectRef, so every process picks the same one. */
export function partitionOf(subjectRef: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < subjectRef.length; i++) {
    h ^= subjectRef.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

/** The entry as a plain object with keys in column order, for JSONL export. */
export function orderedEntry(entry: LogEntry): Record<string, unknown> {
  return Object.fromEntries(LOG_COLUMNS.map((c) => [c, entry[c]]));
}

// RFC 4180 quoting of one field: a few lines, so no CSV writer dependency (csv-parse, already here, only reads).
const csvField = (v: unknown): string => {
  const s = v === null ? '' : Array.isArray(v) ? v.join(';') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** The CSV header line: the stable column list. */
export const CSV_HEADER = LOG_COLUMNS.join(',');

/** One entry as a CSV line in the stable column order; lists are joined with `;`, null is empty. */
export function csvLine(entry: LogEntry): string {
  return LOG_COLUMNS.map((c) => csvField(entry[c])).join(',');
}
