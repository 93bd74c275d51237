import { rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ChainChecker } from './decision-log-chain.js';
import type { DecisionLogOptions } from './decision-log-options.js';
import { LogRetentionError } from './decision-log-errors.js';
import { segmentPages } from './decision-log-read.js';
import { withSealLock } from './decision-log-seal.js';
import { fileSha256, readManifest, segmentsDir, writeManifest, type SegmentInfo } from './decision-log-segments.js';

/** A chain's range that retention removed: its entries are gone, the hash that follows them is kept. */
export interface RemovedRange {
  readonly partition: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly count: number;
  readonly fromMs: number;
  readonly toMs: number;
  /** The kept hash of the last removed entry, where verification of the chain resumes. */
  readonly lastHash: string;
}

/** Per partition, the sealed segments retention has removed, merged into one range (absent when none). */
export function removedRanges(manifest: readonly SegmentInfo[]): RemovedRange[] {
  const out = new Map<number, RemovedRange>();
  for (const s of manifest) {
    if (s.removedAt === undefined) continue;
    const r = out.get(s.partition);
    out.set(
      s.partition,
      r
        ? { ...r, lastSeq: s.lastSeq, count: r.count + s.count, toMs: s.toMs, lastHash: s.lastHash }
        : {
            partition: s.partition,
            firstSeq: s.firstSeq,
            lastSeq: s.lastSeq,
            count: s.count,
            fromMs: s.fromMs,
            toMs: s.toMs,
            lastHash: s.lastHash,
          },
    );
  }
  return [...out.values()].sort((a, b) => a.partition - b.partition);
}

/**
 * The sealed segments whose newest entry is older than `cutoff`, per chain only its oldest kept ones: a newer
 * segment waits while an older one is kept, so removal always takes a prefix and the chain stays checkable.
 */
export async function segmentsPastRetention(o: DecisionLogOptions, cutoff: Date): Promise<SegmentInfo[]> {
  return keptPrefixBefore(await readManifest(o.dataDir, o.logRing), cutoff.getTime());
}

function keptPrefixBefore(manifest: readonly SegmentInfo[], cutoffMs: number): SegmentInfo[] {
  const out: SegmentInfo[] = [];
  const stopped = new Set<number>();
  for (const s of manifest) {
    if (s.removedAt !== undefined || stopped.has(s.partition)) continue;
    if (s.toMs < cutoffMs) out.push(s);
    else stopped.add(s.partition);
  }
  return out;
}

// A segment is deleted only if it is whole: deleting one that fails would erase the evidence of tampering.
async function checkWhole(o: DecisionLogOptions, seg: SegmentInfo): Promise<void> {
  const file = join(segmentsDir(o.dataDir), seg.file);
  if (!existsSync(file))
    throw new LogRetentionError(
      `segment ${seg.file} is missing, so it cannot be checked before removal; restore it from backup and run \`consentflow log verify\``,
    );
  const checker = new ChainChecker(seg.partition, o.logRing, null);
  checker.expect = seg.firstSeq;
  checker.prev = seg.prevHash;
  for await (const page of segmentPages(file)) for (const r of page) if (!checker.feed(r)) break;
  const whole =
    checker.settled &&
    checker.expect === seg.lastSeq + 1 &&
    checker.prev === seg.lastHash &&
    (await fileSha256(file)) === seg.sha256;
  if (!whole) {
    const at = checker.broken ? ` at seq ${checker.broken.seq} (${checker.broken.kind})` : '';
    throw new LogRetentionError(
      `segment ${seg.file} does not verify${at}; retention never deletes a damaged segment: run \`consentflow log verify\` and resolve it first`,
    );
  }
}

/**
 * Deletes the named sealed segments, in order, after checking each is the oldest kept segment of its chain and
 * verifies against its manifest hashes. The manifest marks them removed (keeping their hashes) before any file
 * goes, so a crash leaves an extra file that the next removal deletes, never a gap verify would call tampering.
 * `beforeRemoval` runs once all checks passed and before the manifest changes; if it throws, nothing is removed.
 */
export async function removeSegments(
  o: DecisionLogOptions,
  files: readonly string[],
  beforeRemoval?: (segments: SegmentInfo[]) => Promise<void>,
): Promise<SegmentInfo[]> {
  return withSealLock(o, async () => {
    const manifest = await readManifest(o.dataDir, o.logRing);
    const next = [...manifest];
    const removed: SegmentInfo[] = [];
    const removedAt = o.now().toISOString();
    for (const file of files) {
      const i = next.findIndex((s) => s.file === file);
      const seg = next[i];
      if (seg === undefined)
        throw new LogRetentionError(
          `${file} is not a sealed segment of the manifest; only sealed segments can be removed (seal first with \`consentflow log seal\`)`,
        );
      if (seg.removedAt !== undefined) continue;
      const oldest = next.find((s) => s.partition === seg.partition && s.removedAt === undefined);
      if (oldest !== seg)
        throw new LogRetentionError(
          `segment ${file} is not the oldest kept segment of chain ${seg.partition} (${oldest?.file} is): retention removes only a prefix, so the rest of the chain stays verifiable`,
        );
      await checkWhole(o, seg);
      next[i] = { ...seg, removedAt };
      removed.push(next[i]);
    }
    if (removed.length > 0) {
      // The caller's record of the removal (a log entry) lands after every check and before anything is deleted.
      await beforeRemoval?.(removed);
      await writeManifest(o.dataDir, o.logKey, next);
    }
    // Files of segments marked removed earlier but left behind by a crash go too.
    for (const s of next)
      if (s.removedAt !== undefined) await rm(join(segmentsDir(o.dataDir), s.file), { force: true });
    return removed;
  });
}

/**
 * What the log still holds that is entirely older than `cutoff`: entries of kept sealed segments that ended
 * before it, and entries still in Redis from before it (counted up to `cap` per chain), with the oldest one's
 * time; the review's retention check reads it.
 */
export async function heldBefore(
  o: DecisionLogOptions,
  cutoff: Date,
  cap = 1_000,
): Promise<{ count: number; oldestMs: number | null }> {
  const cutoffMs = cutoff.getTime();
  const manifest = await readManifest(o.dataDir, o.logRing);
  const late = manifest.filter((s) => s.removedAt === undefined && s.toMs < cutoffMs);
  let count = late.reduce((a, s) => a + s.count, 0);
  let oldestMs = late.length > 0 ? Math.min(...late.map((s) => s.fromMs)) : null;
  for (let p = 0; p < o.partitions; p++) {
    const rows = (await o.redis.xrange(o.keys.logChain(p), '-', String(cutoffMs - 1), 'COUNT', cap)) as [
      string,
      string[],
    ][];
    count += rows.length;
    const first = rows[0]?.[0];
    if (first !== undefined) oldestMs = Math.min(oldestMs ?? Infinity, Number(first.slice(0, first.indexOf('-'))));
  }
  return { count, oldestMs };
}
