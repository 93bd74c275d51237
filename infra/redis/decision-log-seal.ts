import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../private-files.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { GENESIS_HASH } from '../../domain/decision-log.js';
import { ChainChecker } from './decision-log-chain.js';
import type { DecisionLogOptions } from './decision-log-options.js';
import { LogSealError } from './decision-log-errors.js';
import { redisPages, segmentLine, streamMs, type RawRecord } from './decision-log-read.js';
import { fileSha256, readManifest, segmentsDir, writeManifest, type SegmentInfo } from './decision-log-segments.js';

/** What a seal run moved out of Redis. */
export interface SealResult {
  readonly segments: SegmentInfo[];
  readonly trimmed: number;
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Writes one chain's entries older than `endId` to a gzip segment, verifying them on the way; null if none. */
async function sealPartition(
  o: DecisionLogOptions,
  p: number,
  after: { seq: number; hash: string },
  endId: string,
  now: Date,
): Promise<SegmentInfo | null> {
  const checker = new ChainChecker(p, o.logRing, null);
  checker.expect = after.seq + 1;
  checker.prev = after.hash;
  let first: RawRecord | undefined;
  let last: RawRecord | undefined;
  let count = 0;
  async function* lines(): AsyncGenerator<string> {
    for await (const page of redisPages(o.redis, o.keys.logChain(p), '-', endId)) {
      for (const r of page) {
        if (!checker.feed(r, after.seq) || !checker.settled) return;
        if (checker.expect - 1 - after.seq === count) continue; // a leftover of an earlier seal, already sealed
        count++;
        first ??= r;
        last = r;
        yield `${segmentLine(r)}\n`;
      }
    }
  }
  const dir = join(segmentsDir(o.dataDir), `p${p}`);
  await ensurePrivateDir(dir);
  const tmp = join(dir, `.sealing-${process.pid}.jsonl.gz`);
  await pipeline(Readable.from(lines()), createGzip(), createWriteStream(tmp, { mode: PRIVATE_FILE_MODE }));
  if (!checker.settled) {
    await rm(tmp, { force: true });
    throw new LogSealError(
      `chain ${p} does not verify at seq ${checker.broken?.seq ?? checker.expect} (${checker.broken?.kind ?? 'unclassified'}); run \`consentflow log verify\` and resolve it before sealing`,
    );
  }
  if (!first || !last) {
    await rm(tmp, { force: true });
    return null;
  }
  const fh = await open(tmp, 'r+');
  await fh.sync().finally(() => fh.close());
  const file = `p${p}/${String(after.seq + 1).padStart(12, '0')}-${String(checker.expect - 1).padStart(12, '0')}.jsonl.gz`;
  await rename(tmp, join(segmentsDir(o.dataDir), file));
  const dh = await open(dirname(join(segmentsDir(o.dataDir), file)), 'r');
  await dh.sync().finally(() => dh.close());
  return {
    partition: p,
    file,
    firstSeq: after.seq + 1,
    lastSeq: checker.expect - 1,
    prevHash: after.hash,
    lastHash: checker.prev,
    lastStreamId: last.streamId,
    fromMs: streamMs(first.streamId),
    toMs: streamMs(last.streamId),
    count,
    sha256: await fileSha256(join(segmentsDir(o.dataDir), file)),
    sealedAt: now.toISOString(),
  };
}

/**
 * Seals every entry whose stream id is older than `before` into segment files, records them in the signed
 * manifest, and only then trims Redis; a crash in between leaves entries in both places, which verify skips.
 */
export async function sealBefore(o: DecisionLogOptions, before: Date): Promise<SealResult> {
  const now = o.now();
  if (before.getTime() > now.getTime())
    throw new LogSealError(`cannot seal up to ${before.toISOString()}: only closed periods (before now) can be sealed`);
  return withSealLock(o, async () => {
    const manifest = await readManifest(o.dataDir, o.logRing);
    const sealed: SegmentInfo[] = [];
    for (let p = 0; p < o.partitions; p++) {
      const prior = manifest.filter((s) => s.partition === p).at(-1);
      const seg = await sealPartition(
        o,
        p,
        prior ? { seq: prior.lastSeq, hash: prior.lastHash } : { seq: 0, hash: GENESIS_HASH },
        String(before.getTime() - 1),
        now,
      );
      if (seg) sealed.push(seg);
    }
    if (sealed.length === 0) return { segments: [], trimmed: 0 };
    await writeManifest(o.dataDir, o.logKey, [...manifest, ...sealed]);
    let trimmed = 0;
    for (const s of sealed) {
      const [ms, n] = s.lastStreamId.split('-');
      await o.redis.hset(
        o.keys.logSealed(s.partition),
        'seq',
        String(s.lastSeq),
        'hash',
        s.lastHash,
        'streamId',
        s.lastStreamId,
      );
      // MINID keeps ids >= the one after the last sealed entry, so entries appended meanwhile are never trimmed.
      trimmed += await o.redis.xtrim(o.keys.logChain(s.partition), 'MINID', `${ms}-${BigInt(n ?? '0') + 1n}`);
    }
    return { segments: sealed, trimmed };
  });
}

/** Runs `f` holding the seal lock, which guards the segment files and their signed manifest. */
export async function withSealLock<T>(o: DecisionLogOptions, f: () => Promise<T>): Promise<T> {
  const token = `${process.pid}-${o.now().getTime()}-${Math.random()}`;
  if ((await o.redis.set(o.keys.logSealLock(), token, 'PX', 600_000, 'NX')) !== 'OK')
    throw new LogSealError('another process is sealing the decision log; try again when it has finished');
  try {
    return await f();
  } finally {
    await o.redis.eval(RELEASE, 1, o.keys.logSealLock(), token);
  }
}
