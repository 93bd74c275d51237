import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { LogSealError } from '../../../infra/redis/decision-log-errors.js';
import { segmentsDir } from '../../../infra/redis/decision-log-segments.js';
import { testRedis } from '../../helpers/services.js';
import { decision, makeLog } from './fixtures/decision-log-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sealedLog() {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix, { partitions: 2 });
  await log.appendBatch(Array.from({ length: 100 }, (_, i) => decision(i)));
  await sleep(5);
  const cut = new Date();
  await sleep(5);
  await log.appendBatch(Array.from({ length: 40 }, (_, i) => decision(100 + i)));
  const sealed = await log.seal(cut);
  return { redis, log, sealed };
}

test('sealing moves a closed period into gzip segments, trims Redis, and verify spans both', async () => {
  const { redis, log, sealed } = await sealedLog();
  assert.equal(sealed.trimmed, 100);
  assert.equal(
    sealed.segments.reduce((a, s) => a + s.count, 0),
    100,
  );
  const inRedis = (await redis.xlen(log.keys.logChain(0))) + (await redis.xlen(log.keys.logChain(1)));
  assert.equal(inRedis, 40);
  const report = await log.verify();
  assert.deepEqual(
    { ok: report.ok, entries: report.entries, segments: report.segments },
    { ok: true, entries: 140, segments: sealed.segments.length },
  );
  let n = 0;
  for await (const e of log.query()) n += e.kind === 'decision' ? 1 : 0;
  assert.equal(n, 140, 'query reads segments and Redis');
  await log.appendBatch(Array.from({ length: 10 }, (_, i) => decision(200 + i)));
  await sleep(5);
  const again = await log.seal(new Date());
  assert.equal(again.trimmed, 50);
  assert.ok(
    again.segments.every((s) => s.firstSeq > 1),
    'the second seal continues each chain',
  );
  assert.equal((await log.verify()).entries, 150);
});

test('a segment line changed after sealing is reported as modified at its seq', async () => {
  const { log, sealed } = await sealedLog();
  const seg = sealed.segments[0]!;
  const file = join(segmentsDir(log.opts.dataDir), seg.file);
  const lines = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n');
  const line = JSON.parse(lines[3]!) as { e: string };
  line.e = line.e.includes('"allow"') ? line.e.replace('"allow"', '"deny"') : line.e.replace('"deny"', '"allow"');
  lines[3] = JSON.stringify(line);
  writeFileSync(file, gzipSync(`${lines.join('\n')}\n`));
  const report = await log.verify();
  assert.deepEqual(
    report.breaks.map((b) => ({ p: b.partition, seq: b.seq, kind: b.kind })),
    [{ p: seg.partition, seq: seg.firstSeq + 3, kind: 'modified' }],
  );
});

test('a missing segment file is reported as deleted from its first seq', async () => {
  const { log, sealed } = await sealedLog();
  const seg = sealed.segments[0]!;
  rmSync(join(segmentsDir(log.opts.dataDir), seg.file));
  const report = await log.verify();
  assert.deepEqual(
    report.breaks.map((b) => ({ seq: b.seq, kind: b.kind })),
    [{ seq: seg.firstSeq, kind: 'deleted' }],
  );
});

test('an edited manifest is refused', async () => {
  const { log } = await sealedLog();
  const file = join(segmentsDir(log.opts.dataDir), 'manifest.json');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"count": ', '"count": 1'));
  await assert.rejects(log.verify(), /altered|schema/);
});

test('sealing refuses an open period and a chain that does not verify', async () => {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix, { partitions: 1 });
  await assert.rejects(log.seal(new Date(Date.now() + 60_000)), LogSealError);
  await log.appendBatch(Array.from({ length: 5 }, (_, i) => decision(i)));
  const [[id]] = (await redis.xrange(log.keys.logChain(0), '-', '+', 'COUNT', 1)) as unknown as [[string]];
  await redis.xdel(log.keys.logChain(0), id);
  await sleep(5);
  await assert.rejects(log.seal(new Date()), LogSealError);
  assert.equal(existsSync(join(segmentsDir(log.opts.dataDir), 'manifest.json')), false);
});
