import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ChainChecker, type LogBreak, type StoredHead } from './decision-log-chain.js';
import type { DecisionLogOptions } from './decision-log-options.js';
import { LogSegmentError } from './decision-log-errors.js';
import { chainPages, segmentPages, type ChainRecord } from './decision-log-read.js';
import { removedRanges, type RemovedRange } from './decision-log-retention.js';
import {
  fileSha256,
  readManifest,
  readWitness,
  segmentsDir,
  writeWitness,
  type SegmentInfo,
  type WitnessHeads,
} from './decision-log-segments.js';

/** Progress of a verify run, reported after every page. */
export interface VerifyProgress {
  readonly checked: number;
  readonly total: number;
}

/** Options of `DecisionLog.verify`. */
export interface VerifyOptions {
  readonly onProgress?: (p: VerifyProgress) => void;
  /** Record the verified heads in the signed witness file, so a later truncation is caught (default false). */
  readonly recordWitness?: boolean;
}

/** The outcome of verifying every chain: `ok` only when no chain has a break. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly entries: number;
  readonly partitions: number;
  readonly segments: number;
  readonly breaks: LogBreak[];
  readonly witnessed: boolean;
  /** Per chain, the oldest entries retention removed; verification starts from their kept hash. */
  readonly removed: RemovedRange[];
}

const HeadReply = z.tuple([z.string().regex(/^\d+$/).nullable(), z.string().nullable(), z.string().nullable()]);

async function readHead(o: DecisionLogOptions, partition: number): Promise<StoredHead | null> {
  const [seq, hash, mac] = HeadReply.parse(await o.redis.hmget(o.keys.logHead(partition), 'seq', 'hash', 'mac'));
  if (seq === null || hash === null) return null;
  return { seq: Number(seq), hash, mac };
}

type Feed = (page: ChainRecord[], skipUpTo?: number) => boolean;

// Segments removed by retention are skipped, and the chain resumes from the hash the manifest kept for the last
// of them; the manifest's MAC vouches for that hash, and only a prefix of a chain may be removed.
function skipRemoved(checker: ChainChecker, segments: SegmentInfo[]): SegmentInfo[] | false {
  const kept = segments.findIndex((s) => s.removedAt === undefined);
  const removed = kept < 0 ? segments : segments.slice(0, kept);
  const rest = kept < 0 ? [] : segments.slice(kept);
  const late = rest.find((s) => s.removedAt !== undefined);
  if (late)
    return checker.missing(
      late.firstSeq,
      `segment ${late.file} (seq ${late.firstSeq}..${late.lastSeq}) is marked removed by retention after a kept segment; retention only removes a chain's oldest segments, so the manifest was altered`,
    );
  for (const s of removed) {
    if (s.firstSeq !== checker.expect || s.prevHash !== checker.prev)
      return checker.missing(
        checker.expect,
        `the removed segment ${s.file} does not follow seq ${checker.expect - 1} in the manifest`,
      );
    checker.expect = s.lastSeq + 1;
    checker.prev = s.lastHash;
  }
  return rest;
}

async function checkSegments(
  o: DecisionLogOptions,
  checker: ChainChecker,
  all: SegmentInfo[],
  feed: Feed,
): Promise<boolean> {
  const segments = skipRemoved(checker, all);
  if (segments === false) return false;
  for (const seg of segments) {
    const file = join(segmentsDir(o.dataDir), seg.file);
    if (seg.firstSeq !== checker.expect)
      return checker.missing(checker.expect, `seq ${checker.expect}..${seg.firstSeq - 1} is in no segment`);
    if (!existsSync(file))
      return checker.missing(seg.firstSeq, `segment ${seg.file} (seq ${seg.firstSeq}..${seg.lastSeq}) is missing`);
    const shaOk = (await fileSha256(file)) === seg.sha256;
    for await (const page of segmentPages(file)) if (!feed(page)) return false;
    if (checker.expect !== seg.lastSeq + 1)
      return checker.missing(checker.expect, `segment ${seg.file} ends before seq ${seg.lastSeq}`);
    if (!shaOk)
      throw new LogSegmentError(
        `segment ${seg.file} differs from its manifest checksum although its entries verify; restore it from backup`,
      );
  }
  return true;
}

async function verifyPartition(
  o: DecisionLogOptions,
  partition: number,
  segments: SegmentInfo[],
  witness: WitnessHeads | null,
  tick: (n: number) => void,
) {
  const checker = new ChainChecker(partition, o.logRing, witness?.[String(partition)] ?? null);
  const feed: Feed = (page, skipUpTo = 0) => {
    let go = true;
    for (const rec of page) if (!(go = checker.feed(rec, skipUpTo))) break;
    tick(page.length);
    return go;
  };
  const sealedUpTo = segments.at(-1)?.lastSeq ?? 0;
  let head: StoredHead | null = null;
  // Appends go on while the chain is read, and each moves the head with its entry in one script, so a head read
  // after the chain may name entries the read did not reach. Read on from where it ended until the chain reaches
  // the head; a pass that finds nothing new leaves the head beyond the chain, which is a truncation.
  for (let whole = await checkSegments(o, checker, segments, feed), from = '-'; ;) {
    let fresh = false;
    if (whole)
      for await (const page of chainPages(o.redis, o.keys.logChain(partition), from)) {
        fresh = true;
        from = `(${page.at(-1)!.streamId}`;
        if (!(whole = feed(page, sealedUpTo))) break;
      }
    head = await readHead(o, partition);
    if (!whole || !fresh || !head || head.seq <= checker.expect - 1) break;
  }
  const brk = checker.finish(head);
  return { brk, head: { seq: checker.expect - 1, hash: checker.prev } };
}

/** Verifies every chain from its first sealed segment through Redis to its head, a few chains at a time. */
export async function verifyLog(o: DecisionLogOptions, options: VerifyOptions): Promise<VerifyReport> {
  const [manifest, witness] = await Promise.all([
    readManifest(o.dataDir, o.logRing),
    readWitness(o.dataDir, o.logRing),
  ]);
  const parts = Array.from({ length: o.partitions }, (_, i) => i);
  const lens = await Promise.all(parts.map((p) => o.redis.xlen(o.keys.logChain(p))));
  const total =
    lens.reduce((a, b) => a + b, 0) + manifest.reduce((a, s) => a + (s.removedAt === undefined ? s.count : 0), 0);
  let checked = 0;
  const tick = (n: number) => {
    checked += n;
    options.onProgress?.({ checked, total });
  };
  const results: Awaited<ReturnType<typeof verifyPartition>>[] = [];
  // Several chains at once, so one chain's Redis round trip overlaps another's hashing.
  const queue = [...parts];
  await Promise.all(
    Array.from({ length: Math.min(4, parts.length) }, async () => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
        results[p] = await verifyPartition(
          o,
          p,
          manifest.filter((s) => s.partition === p),
          witness,
          tick,
        );
      }
    }),
  );
  const breaks = results.flatMap((r) => (r.brk ? [r.brk] : []));
  const ok = breaks.length === 0;
  if (ok && options.recordWitness) {
    const heads: WitnessHeads = Object.fromEntries(results.map((r, p) => [String(p), r.head]));
    await writeWitness(o.dataDir, o.logKey, heads, o.now());
  }
  const kept = manifest.filter((s) => s.removedAt === undefined).length;
  return {
    ok,
    entries: checked,
    partitions: o.partitions,
    segments: kept,
    breaks,
    witnessed: ok && !!options.recordWitness,
    removed: removedRanges(manifest),
  };
}
