import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { LogRetentionError } from '../../../infra/redis/decision-log-errors.js';
import { removeSegments, segmentsPastRetention } from '../../../infra/redis/decision-log-retention.js';
import { readManifest, segmentsDir, writeManifest } from '../../../infra/redis/decision-log-segments.js';
import { testRedis } from '../../helpers/services.js';
import { decision, makeLog, TEST_LOG_KEY } from './fixtures/decision-log-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Two sealed periods per chain plus a tail in Redis; returns the cut between the periods. */
async function twoSealedPeriods() {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix, { partitions: 2 });
  await log.appendBatch(Array.from({ length: 60 }, (_, i) => decision(i)));
  await sleep(5);
  const cut1 = new Date();
  await sleep(5);
  await log.appendBatch(Array.from({ length: 40 }, (_, i) => decision(100 + i)));
  await sleep(5);
  const cut2 = new Date();
  await sleep(5);
  await log.appendBatch(Array.from({ length: 20 }, (_, i) => decision(200 + i)));
  const first = await log.seal(cut1);
  const second = await log.seal(cut2);
  assert.equal(first.segments.length, 2, 'each chain got a first segment');
  assert.equal(second.segments.length, 2, 'each chain got a second segment');
  return { redis, log, cut1, first: first.segments, second: second.segments };
}

const editLine = (file: string, index: number) => {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n');
  const line = JSON.parse(lines[index]!) as { e: string };
  line.e = line.e.includes('"allow"') ? line.e.replace('"allow"', '"deny"') : line.e.replace('"deny"', '"allow"');
  lines[index] = JSON.stringify(line);
  writeFileSync(file, gzipSync(`${lines.join('\n')}\n`));
};

test('removing the segments past retention keeps their hashes, and verify passes from them and reports the removed prefix', async () => {
  const { log, cut1, first } = await twoSealedPeriods();
  const due = await segmentsPastRetention(log.opts, cut1);
  assert.deepEqual(
    due.map((s) => s.file).sort(),
    first.map((s) => s.file).sort(),
    'only the first period is past retention',
  );
  const removed = await removeSegments(
    log.opts,
    due.map((s) => s.file),
  );
  assert.equal(removed.length, 2);
  for (const s of first)
    assert.equal(existsSync(join(segmentsDir(log.opts.dataDir), s.file)), false, `${s.file} is deleted`);
  const manifest = await readManifest(log.opts.dataDir, log.opts.logRing);
  assert.ok(
    first.every(
      (s) =>
        manifest.find((m) => m.file === s.file)?.lastHash === s.lastHash &&
        manifest.find((m) => m.file === s.file)?.removedAt,
    ),
    'their hashes stay in the manifest',
  );

  const report = await log.verify();
  assert.equal(report.ok, true, JSON.stringify(report.breaks));
  assert.equal(report.entries, 60, 'the 60 remaining entries verify');
  assert.deepEqual(
    report.removed.map((r) => ({ p: r.partition, first: r.firstSeq, last: r.lastSeq })),
    first.sort((a, b) => a.partition - b.partition).map((s) => ({ p: s.partition, first: 1, last: s.lastSeq })),
  );
  let n = 0;
  for await (const e of log.query()) n += e.kind === 'decision' ? 1 : 0;
  assert.equal(n, 60, 'query reads what remains');
  // Removing again is a no-op, and a later seal continues the chains.
  assert.deepEqual(
    await removeSegments(
      log.opts,
      due.map((s) => s.file),
    ),
    [],
  );
  await sleep(5);
  await log.seal(new Date());
  assert.equal((await log.verify()).ok, true);
});

test('after a removal, a tampered remaining entry still fails verify at that entry', async () => {
  const { log, cut1, second } = await twoSealedPeriods();
  await removeSegments(
    log.opts,
    (await segmentsPastRetention(log.opts, cut1)).map((s) => s.file),
  );
  const seg = second[0]!;
  editLine(join(segmentsDir(log.opts.dataDir), seg.file), 2);
  const report = await log.verify();
  assert.deepEqual(
    report.breaks.map((b) => ({ p: b.partition, seq: b.seq, kind: b.kind })),
    [{ p: seg.partition, seq: seg.firstSeq + 2, kind: 'modified' }],
  );
});

test('a forged kept hash is caught: edited without the key the manifest is refused, re-signed the chain does not link', async () => {
  const { log, cut1, first } = await twoSealedPeriods();
  await removeSegments(
    log.opts,
    (await segmentsPastRetention(log.opts, cut1)).map((s) => s.file),
  );
  const file = join(segmentsDir(log.opts.dataDir), 'manifest.json');
  const original = readFileSync(file, 'utf8');
  const target = first[0]!;
  const forgedHash = 'f'.repeat(64);
  writeFileSync(file, original.replace(target.lastHash, forgedHash));
  await assert.rejects(log.verify(), /altered/);
  // Even a manifest signed with the log key cannot move the anchor: the next entry names the real hash.
  writeFileSync(file, original);
  const manifest = await readManifest(log.opts.dataDir, log.opts.logRing);
  await writeManifest(
    log.opts.dataDir,
    TEST_LOG_KEY,
    manifest.map((s) => (s.file === target.file ? { ...s, lastHash: forgedHash } : s)),
  );
  const report = await log.verify();
  assert.deepEqual(
    report.breaks.map((b) => ({ p: b.partition, seq: b.seq, kind: b.kind })),
    [{ p: target.partition, seq: target.lastSeq + 1, kind: 'forged' }],
  );
});

test('retention removes only sealed segments, only a chain prefix, and never a damaged one', async () => {
  const { log, first, second } = await twoSealedPeriods();
  await assert.rejects(
    removeSegments(log.opts, ['p0/000000000999-000000001000.jsonl.gz']),
    (e: unknown) => e instanceof LogRetentionError && /not a sealed segment/.test(e.message),
  );
  await assert.rejects(
    removeSegments(log.opts, [second[0]!.file]),
    (e: unknown) => e instanceof LogRetentionError && /only a prefix/.test(e.message),
  );
  editLine(join(segmentsDir(log.opts.dataDir), first[0]!.file), 1);
  await assert.rejects(
    removeSegments(log.opts, [first[0]!.file]),
    (e: unknown) => e instanceof LogRetentionError && /does not verify/.test(e.message),
  );
  assert.equal(
    existsSync(join(segmentsDir(log.opts.dataDir), first[0]!.file)),
    true,
    'the damaged segment stays as evidence',
  );
  assert.ok(
    (await readManifest(log.opts.dataDir, log.opts.logRing)).every((s) => s.removedAt === undefined),
    'nothing was marked removed',
  );
  // A manifest that marks a middle segment removed (signed, so only a bug could write it) is a break, not a removal.
  const manifest = await readManifest(log.opts.dataDir, log.opts.logRing);
  await writeManifest(
    log.opts.dataDir,
    TEST_LOG_KEY,
    manifest.map((s) => (s.file === second[1]!.file ? { ...s, removedAt: new Date().toISOString() } : s)),
  );
  const report = await log.verify();
  assert.ok(
    report.breaks.some(
      (b) =>
        b.partition === second[1]!.partition &&
        b.seq === second[1]!.firstSeq &&
        b.kind === 'deleted' &&
        /after a kept segment/.test(b.detail),
    ),
  );
});
