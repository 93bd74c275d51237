import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { logKeyTag } from '../../../infra/keyring.js';
import { handoverMac } from '../../../infra/redis/decision-log-mac.js';
import {
  KEY_A,
  KEY_B,
  logWith,
  readChain,
  rewrite,
  rotatedLog,
  rotationIndex,
  type Rec,
} from './fixtures/decision-log-rotation-fixture.js';
import { CAMPAIGN, chain0, mac, PREV, setField } from './decision-log-rotation-helpers.js';

test('after a handover, entries before it verify under the old key and entries after it under the new one', async () => {
  const { redis, newLog, handover } = await rotatedLog();
  assert.deepEqual(handover, { to: 'log-b', from: ['log-a'], handedOver: 2, partitions: 2 });
  const report = await newLog.verify();
  assert.deepEqual(
    { ok: report.ok, entries: report.entries, breaks: report.breaks },
    { ok: true, entries: 42, breaks: [] },
  );
  for (const p of [0, 1]) {
    const recs = await readChain(redis, newLog.keys.logChain(p));
    const rot = rotationIndex(recs);
    assert.ok(
      rot > 0 && recs.filter((r) => r.fields.e!.includes('log_key_rotation')).length === 1,
      `one rotation entry in chain ${p}`,
    );
    const r = recs[rot]!;
    assert.match(r.fields.e!, /"rotated=log from=log-a to=log-b commit=[0-9a-f]{64} actor=ops-alice"/);
    assert.ok(
      !r.fields.e!.includes(KEY_B.key.toString('base64')) && !r.fields.e!.includes(KEY_B.key.toString('hex')),
      'no key material',
    );
    assert.equal(r.fields.h, mac(KEY_A.key, r.fields.e!), 'the old key MACs the handover');
    assert.equal(r.fields.n, handoverMac(KEY_B.key, r.fields.e!), 'and the new key signs it');
    assert.ok(recs.slice(0, rot).every((x) => x.fields.h === mac(KEY_A.key, x.fields.e!)));
    assert.ok(recs.slice(rot + 1).every((x) => x.fields.h === mac(KEY_B.key, x.fields.e!)));
    assert.equal(
      await redis.hget(newLog.keys.logHead(p), 'kid'),
      logKeyTag(KEY_B.key),
      'the head names the key by fingerprint',
    );
  }
  const ops = [];
  for await (const e of newLog.query({ kind: 'operator' })) ops.push(e);
  assert.deepEqual(
    ops.map((e) => [e.stepId, e.reasons]),
    [
      ['log_key_rotation', ['key_rotated']],
      ['log_key_rotation', ['key_rotated']],
    ],
  );
});

type Case = {
  name: string;
  tamper: (redis: Redis, chain: string, recs: Rec[], rot: number) => Promise<number>;
  kind: string;
};
const edit =
  (i: (rot: number) => number): Case['tamper'] =>
  async (redis, chain, recs, rot) => {
    const r = recs[i(rot)]!;
    r.fields.e = setField(r.fields.e!, CAMPAIGN, 'edited');
    await rewrite(redis, chain, recs);
    return i(rot) + 1;
  };
const swap =
  (i: (rot: number) => number): Case['tamper'] =>
  async (redis, chain, recs, rot) => {
    const a = i(rot);
    [recs[a], recs[a + 1]] = [recs[a + 1]!, recs[a]!];
    await rewrite(redis, chain, recs);
    return a + 1;
  };
const del =
  (i: (rot: number) => number): Case['tamper'] =>
  async (redis, chain, recs, rot) => {
    await redis.xdel(chain, recs[i(rot)]!.id);
    return i(rot) + 1;
  };
const CASES: Case[] = [
  { name: 'an entry edited before the switch', tamper: edit(() => 2), kind: 'modified' },
  { name: 'an entry edited after the switch', tamper: edit((rot) => rot + 2), kind: 'modified' },
  { name: 'the rotation entry edited', tamper: edit((rot) => rot), kind: 'forged' },
  { name: 'an entry deleted before the switch', tamper: del(() => 1), kind: 'deleted' },
  { name: 'an entry deleted after the switch', tamper: del((rot) => rot + 1), kind: 'deleted' },
  { name: 'the rotation entry removed', tamper: del((rot) => rot), kind: 'deleted' },
  { name: 'entries reordered after the switch', tamper: swap((rot) => rot + 1), kind: 'reordered' },
  { name: 'the rotation entry moved back', tamper: swap((rot) => rot - 1), kind: 'reordered' },
  {
    name: "the new key's signature stripped from the rotation entry",
    tamper: async (redis, chain, recs, rot) => {
      delete recs[rot]!.fields.n;
      await rewrite(redis, chain, recs);
      return rot + 1;
    },
    kind: 'forged',
  },
  {
    // Someone holding only the new key rewrites history from entry 3 with a handover the old key never made.
    name: 'a rotation entry forged without the old key',
    tamper: async (redis, chain, recs, rot) => {
      const forged = recs.slice(rot);
      let prev = recs[1]!.fields.h!;
      for (const [k, r] of forged.entries()) {
        r.fields.e = setField(setField(r.fields.e!, 3, k + 3), PREV, prev);
        r.fields.h = mac(KEY_B.key, r.fields.e);
        if (k === 0) r.fields.n = handoverMac(KEY_B.key, r.fields.e);
        prev = r.fields.h;
      }
      await rewrite(redis, chain, [...recs.slice(0, 2), ...forged]);
      return 3;
    },
    kind: 'forged',
  },
  {
    name: 'a truncated tail',
    tamper: async (redis, chain, recs) => {
      for (const r of recs.slice(-3)) await redis.xdel(chain, r.id);
      return recs.length - 2;
    },
    kind: 'truncated',
  },
];

for (const c of CASES) {
  test(`verify across a log key rotation names ${c.name} by seq (${c.kind})`, async () => {
    const { redis, newLog, chain } = await rotatedLog(20, 30);
    const recs = await readChain(redis, chain);
    const rot = rotationIndex(recs);
    assert.ok(rot >= 3 && recs.length - rot >= 5, 'the chain has entries on both sides of the switch');
    const seq = await c.tamper(redis, chain, recs, rot);
    const report = await newLog.verify();
    assert.deepEqual(
      report.breaks.map((b) => ({ partition: b.partition, seq: b.seq, kind: b.kind })),
      [{ partition: 0, seq, kind: c.kind }],
      JSON.stringify(report.breaks),
    );
    assert.equal(report.ok, false);
  });
}

test('cutting a chain back to before its handover is caught even with the old head replayed', async () => {
  const { redis, prefix } = await import('../../helpers/services.js').then((m) => m.testRedis());
  const dataDir = (await import('node:fs')).mkdtempSync('/tmp/cf-log-rot-');
  const a = logWith(redis, prefix, dataDir, KEY_A, []);
  await a.appendBatch(Array.from({ length: 10 }, (_, i) => chain0(i * 7)));
  const oldHead = await redis.hgetall(a.keys.logHead(0));
  const b = logWith(redis, prefix, dataDir, KEY_B, [KEY_A]);
  await b.handOver('ops');
  await b.append(chain0(500));
  const recs = await readChain(redis, b.keys.logChain(0));
  for (const r of recs.slice(rotationIndex(recs))) await redis.xdel(b.keys.logChain(0), r.id);
  await redis.hset(b.keys.logHead(0), oldHead);
  const report = await b.verify();
  assert.deepEqual(
    report.breaks.map((x) => ({ partition: x.partition, seq: x.seq, kind: x.kind })),
    [{ partition: 0, seq: 10, kind: 'unrotated' }],
  );
  assert.match(report.breaks[0]!.detail, /ends under log key log-a, not the current log-b/);
});
