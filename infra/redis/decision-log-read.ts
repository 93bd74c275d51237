import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { LogSegmentError } from './decision-log-errors.js';

/** One stored entry exactly as written: its canonical text and hash, and where it sits. */
export interface RawRecord {
  readonly streamId: string;
  readonly canonical: string;
  readonly hash: string;
  /** On a log-key handover entry only: the new key's MAC over it. */
  readonly handover?: string;
}

/** A stored entry as the verifier reads it: the canonical text stays bytes unless it needs a full parse. */
export interface ChainRecord {
  readonly streamId: string;
  readonly canonical: string | Buffer;
  readonly hash: string;
  readonly handover?: string;
}

/**
 * Largest allowed difference between a writer's clock (`at`) and Redis's (stream id). Appends outside it are
 * refused, so reads may select by stream id widened by this much and still see every entry of a period.
 */
/** A chain head's `seq` and `hash` fields as HMGET returns them (both null before the first append). */
export const HeadSeqHash = [
  z.string().regex(/^\d+$/).nullable(),
  z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
] as const;

export const CLOCK_SKEW_MS = 5 * 60_000;

/** Entries per XRANGE page: big enough to amortise the round trip, small enough to keep memory flat. */
export const PAGE_SIZE = 2_000;

const StreamReply = z.array(z.tuple([z.string(), z.array(z.string())]));

function toRecords(reply: unknown): RawRecord[] {
  const rows = StreamReply.parse(reply);
  return rows.map(([streamId, fields]) => {
    let canonical = '';
    let hash = '';
    let handover: string | undefined;
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === 'e') canonical = fields[i + 1] ?? '';
      else if (fields[i] === 'h') hash = fields[i + 1] ?? '';
      else if (fields[i] === 'n') handover = fields[i + 1];
    }
    return { streamId, canonical, hash, ...(handover === undefined ? {} : { handover }) };
  });
}

/**
 * Pages of a chain stream from `start` to `end` (XRANGE ids, inclusive). The next page is requested before the
 * current one is handed out, so Redis and the caller work at the same time.
 */
export async function* redisPages(
  redis: Redis,
  key: string,
  start = '-',
  end = '+',
  pageSize = PAGE_SIZE,
): AsyncGenerator<RawRecord[]> {
  let next: Promise<unknown> | null = redis.xrange(key, start, end, 'COUNT', pageSize);
  while (next) {
    const page = toRecords(await next);
    const last = page.at(-1);
    next = page.length === pageSize && last ? redis.xrange(key, `(${last.streamId}`, end, 'COUNT', pageSize) : null;
    // The prefetch may be abandoned if the caller stops early; its failure must not become an unhandled rejection.
    next?.catch(() => undefined);
    if (page.length) yield page;
  }
}

// Verify reads a million entries: decoding every reply into strings and running a zod schema over it cost more
// than the hashing, so this reader takes bytes and checks the reply's shape by hand.
function toChainRecords(reply: unknown): ChainRecord[] {
  if (!Array.isArray(reply)) throw new TypeError('XRANGE reply is not an array');
  return reply.map((row: unknown) => {
    if (!Array.isArray(row) || !Buffer.isBuffer(row[0]) || !Array.isArray(row[1]))
      throw new TypeError('XRANGE reply row is malformed');
    const fields = row[1] as unknown[];
    let canonical: Buffer = Buffer.alloc(0);
    let hash = '';
    let handover: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const [f, v] = [fields[i], fields[i + 1]];
      if (!Buffer.isBuffer(f) || !Buffer.isBuffer(v) || f.length !== 1) continue;
      if (f[0] === 0x65)
        canonical = v; // 'e'
      else if (f[0] === 0x68)
        hash = v.toString('latin1'); // 'h'
      else if (f[0] === 0x6e) handover = v.toString('latin1'); // 'n'
    }
    return { streamId: row[0].toString('latin1'), canonical, hash, ...(handover === undefined ? {} : { handover }) };
  });
}

/** Pages of a chain stream from `start` (an XRANGE id) to its end as bytes, for the verifier; prefetches like `redisPages`. */
export async function* chainPages(
  redis: Redis,
  key: string,
  start = '-',
  pageSize = PAGE_SIZE,
): AsyncGenerator<ChainRecord[]> {
  let next: Promise<unknown> | null = redis.xrangeBuffer(key, start, '+', 'COUNT', pageSize);
  while (next) {
    const page = toChainRecords(await next);
    const last = page.at(-1);
    next =
      page.length === pageSize && last ? redis.xrangeBuffer(key, `(${last.streamId}`, '+', 'COUNT', pageSize) : null;
    next?.catch(() => undefined);
    if (page.length) yield page;
  }
}

const SegmentLine = z.object({ id: z.string(), e: z.string(), h: z.string(), n: z.string().optional() });

/** Pages of a gzip JSONL segment file, streamed line by line. */
export async function* segmentPages(file: string, pageSize = PAGE_SIZE): AsyncGenerator<RawRecord[]> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  let page: RawRecord[] = [];
  try {
    for await (const line of lines) {
      if (!line) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new LogSegmentError(`segment ${file} has a line that is not JSON`);
      }
      const r = SegmentLine.safeParse(parsed);
      if (!r.success) throw new LogSegmentError(`segment ${file} has a line without id, e and h`);
      page.push({
        streamId: r.data.id,
        canonical: r.data.e,
        hash: r.data.h,
        ...(r.data.n === undefined ? {} : { handover: r.data.n }),
      });
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
  } catch (e) {
    if (e instanceof LogSegmentError) throw e;
    throw new LogSegmentError(`segment ${file} cannot be read: ${(e as Error).message}`);
  }
  if (page.length) yield page;
}

/** The segment line for a record: byte-exact canonical text, so the HMAC still checks after sealing. */
export const segmentLine = (r: RawRecord): string =>
  JSON.stringify({ id: r.streamId, e: r.canonical, h: r.hash, ...(r.handover === undefined ? {} : { n: r.handover }) });

/** Milliseconds part of a stream id. */
export const streamMs = (id: string): number => Number(id.slice(0, id.indexOf('-')));
