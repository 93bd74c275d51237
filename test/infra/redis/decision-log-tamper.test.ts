import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { HASHED_COLUMNS } from '../../../domain/decision-log-canonical.js';
import { testRedis } from '../../helpers/services.js';
import { decision, makeLog } from './fixtures/decision-log-fixture.js';

type Rec = { id: string; e: string; h: string };
const N = 30;

async function readChain(redis: Redis, key: string): Promise<Rec[]> {
  const rows = (await redis.xrange(key, '-', '+')) as [string, string[]][];
  return rows.map(([id, f]) => ({ id, e: f[1]!, h: f[3]! }));
}

// An attacker with write access to Redis: streams cannot be edited in place, so they rewrite them with the same ids.
async function rewrite(redis: Redis, key: string, recs: Rec[]): Promise<void> {
  const ids = (await readChain(redis, key)).map((r) => r.id);
  await redis.del(key);
  for (const [i, r] of recs.entries()) await redis.xadd(key, ids[i]!, 'e', r.e, 'h', r.h);
}

const setField = (canonical: string, index: number, value: unknown): string => {
  const arr = JSON.parse(canonical) as unknown[];
  arr[index] = value;
  return JSON.stringify(arr);
};
const CAMPAIGN = 7; // position of campaignId in the canonical array (after the version tag)
const OUTCOME = 15;
const PREV_HASH = HASHED_COLUMNS.indexOf('prevHash') + 1;

const Tamper = fc.oneof(
  fc.record({ t: fc.constant('modify' as const), i: fc.nat(N - 1), field: fc.constantFrom(CAMPAIGN, OUTCOME) }),
  fc.record({ t: fc.constant('delete' as const), i: fc.nat(N - 2) }),
  fc.record({ t: fc.constant('swap' as const), i: fc.nat(N - 2), d: fc.integer({ min: 1, max: N - 1 }) }),
  fc.record({ t: fc.constant('truncate' as const), k: fc.integer({ min: 1, max: N - 1 }), replayHead: fc.boolean() }),
  fc.record({ t: fc.constant('rechain' as const), i: fc.nat(N - 1) }),
);

test('randomised tampering is always detected and located by seq and kind', async () => {
  const { redis, prefix } = testRedis();
  let run = 0;
  await fc.assert(
    fc.asyncProperty(Tamper, async (tm) => {
      const pre = `${prefix}r${run++}:`;
      const log = makeLog(redis, pre, { partitions: 1 });
      const chain = log.keys.logChain(0);
      const head = log.keys.logHead(0);
      const cut = tm.t === 'truncate' ? N - tm.k : N;
      await log.appendBatch(Array.from({ length: cut }, (_, i) => decision(i)));
      const oldHead = await redis.hgetall(head);
      await log.appendBatch(Array.from({ length: N - cut }, (_, i) => decision(cut + i)));
      assert.equal((await log.verify({ recordWitness: true })).ok, true);
      const recs = await readChain(redis, chain);
      let expected: { seq: number; kind: string };
      if (tm.t === 'modify') {
        const r = recs[tm.i]!;
        r.e = setField(
          r.e,
          tm.field,
          tm.field === OUTCOME ? (r.e.includes('"allow"') ? 'deny' : 'allow') : 'forged-campaign',
        );
        await rewrite(redis, chain, recs);
        expected = { seq: tm.i + 1, kind: 'modified' };
      } else if (tm.t === 'delete') {
        await redis.xdel(chain, recs[tm.i]!.id);
        expected = { seq: tm.i + 1, kind: 'deleted' };
      } else if (tm.t === 'swap') {
        const j = Math.min(N - 1, tm.i + tm.d);
        [recs[tm.i], recs[j]] = [recs[j]!, recs[tm.i]!];
        await rewrite(redis, chain, recs);
        expected = { seq: tm.i + 1, kind: 'reordered' };
      } else if (tm.t === 'truncate') {
        for (const r of recs.slice(cut)) await redis.xdel(chain, r.id);
        // Replaying an old, validly signed head hides the cut from the head check; the witness still sees it.
        if (tm.replayHead) await redis.hset(head, oldHead);
        expected = { seq: cut + 1, kind: 'truncated' };
      } else {
        // Re-chain from entry i with a key the attacker made up: links stay consistent, MACs do not.
        const fake = Buffer.alloc(32, 1);
        let prev = tm.i === 0 ? '0'.repeat(64) : recs[tm.i - 1]!.h;
        for (const r of recs.slice(tm.i)) {
          r.e = setField(setField(r.e, PREV_HASH, prev), CAMPAIGN, 'rewritten');
          r.h = createHmac('sha256', fake).update(r.e).digest('hex');
          prev = r.h;
        }
        await rewrite(redis, chain, recs);
        await redis.hset(head, 'hash', prev, 'mac', createHmac('sha256', fake).update(prev).digest('hex'));
        expected = { seq: tm.i + 1, kind: 'forged' };
      }
      const report = await log.verify();
      assert.equal(report.ok, false);
      assert.deepEqual(
        report.breaks.map((b) => ({ seq: b.seq, kind: b.kind })),
        [expected],
        JSON.stringify({ tm, breaks: report.breaks }),
      );
    }),
    { numRuns: 60 },
  );
});

test('an entry moved from another chain is reported as reordered', async () => {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix, { partitions: 2 });
  await log.appendBatch(Array.from({ length: 20 }, (_, i) => decision(i)));
  const [a, b] = [await readChain(redis, log.keys.logChain(0)), await readChain(redis, log.keys.logChain(1))];
  await redis.xadd(log.keys.logChain(0), '*', 'e', b[0]!.e, 'h', b[0]!.h);
  const report = await log.verify();
  assert.deepEqual(
    report.breaks.map((x) => ({ partition: x.partition, seq: x.seq, kind: x.kind })),
    [{ partition: 0, seq: a.length + 1, kind: 'reordered' }],
  );
});
