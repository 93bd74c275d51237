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

test('log verify during live appends reports no break, and covers what was appended while it read', async () => {
  const { redis, prefix } = testRedis();
  const dataDir = mkdtempSync(join(tmpdir(), 'cf-log-'));
  const writer = makeLog(redis, prefix, { dataDir });
  await writer.appendBatch(Array.from({ length: 40 }, (_, i) => decision(i)));
  let n = 40;
  let appendsDuringVerify = 0;
  const reader = makeLog(
    headReadsAfter(redis, async () => {
      if (appendsDuringVerify++ >= 12) return;
      await writer.appendBatch(Array.from({ length: 8 }, () => decision(n++)));
    }),
    prefix,
    { dataDir },
  );
  const report = await reader.verify();
  assert.deepEqual(report.breaks, []);
  assert.equal(report.ok, true);
  assert.ok(appendsDuringVerify >= 4, 'appends landed between reading chains and their heads');
  // Everything appended before the last head read was checked, not just what was there when verify began.
  const headSeqs = await Promise.all([0, 1, 2, 3].map((p) => redis.hget(writer.keys.logHead(p), 'seq')));
  assert.equal(
    report.entries,
    headSeqs.reduce((a, s) => a + Number(s ?? 0), 0),
  );
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
