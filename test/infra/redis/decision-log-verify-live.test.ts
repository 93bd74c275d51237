import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { testRedis } from '../../helpers/services.js';
import { decision, makeLog } from './fixtures/decision-log-fixture.js';

// A client whose chain-head reads first let `before` run: an append lands after the chain was paged, before its head
// is read, as it does when workers keep sending while an operator runs `log verify`.
function headReadsAfter(redis: Redis, before: () => Promise<void>): Redis {
  return new Proxy(redis, {
    get(target, prop, receiver) {
      if (prop !== 'hmget') return Reflect.get(target, prop, receiver) as unknown;
      return async (...args: Parameters<Redis['hmget']>) => {
        await before();
        return target.hmget(...args);
      };
    },
  });
}

// Appends land after each chain-head read (at most 12 of them): verify must neither call the head truncated nor stop
// short of it. Returns the report and the final heads' sum.
async function verifyWhileAppending(partitions: number) {
  const { redis, prefix } = testRedis();
  const dataDir = mkdtempSync(join(tmpdir(), 'cf-log-'));
  const writer = makeLog(redis, prefix, { dataDir, partitions });
  await writer.appendBatch(Array.from({ length: 40 }, (_, i) => decision(i)));
  let n = 40;
  let appends = 0;
  const reader = makeLog(
    headReadsAfter(redis, async () => {
      if (appends >= 12) return;
      appends++;
      await writer.appendBatch(Array.from({ length: 8 }, () => decision(n++)));
    }),
    prefix,
    { dataDir, partitions },
  );
  const report = await reader.verify();
  const heads = await Promise.all(
    Array.from({ length: partitions }, (_, p) => redis.hget(writer.keys.logHead(p), 'seq')),
  );
  return { report, appends, headTotal: heads.reduce((a, x) => a + Number(x ?? 0), 0) };
}

test('log verify during live appends reports no break, and covers what was appended while it read', async () => {
  // Four chains verified at once, as in production: appends land between other chains' reads too.
  const many = await verifyWhileAppending(4);
  assert.deepEqual(many.report.breaks, []);
  assert.equal(many.report.ok, true);
  assert.ok(many.appends >= 4, 'appends landed between reading each chain and its head');
  // One chain: every append lands before that chain's last head read, so verify covered all of them.
  const one = await verifyWhileAppending(1);
  assert.deepEqual(one.report.breaks, []);
  assert.deepEqual([one.appends, one.report.entries, one.headTotal], [12, 40 + 12 * 8, 40 + 12 * 8]);
});

test('entries past a head set back to an earlier state are still reported after the live-append changes', async () => {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix, { partitions: 1 });
  await log.appendBatch(Array.from({ length: 20 }, (_, i) => decision(i)));
  const head = log.keys.logHead(0);
  const earlier = await redis.hgetall(head);
  await log.appendBatch([decision(20)]);
  // The head is put back as it was after seq 20, a state it validly had: seq 21 sits past it.
  await redis.hset(head, earlier);
  const report = await log.verify();
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.breaks.map((b) => [b.seq, b.kind]),
    [[21, 'forged']],
  );
});
