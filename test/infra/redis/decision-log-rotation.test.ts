import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { HASHED_COLUMNS, partitionOf } from '../../../domain/decision-log-canonical.js';
import { logKeyTag } from '../../../infra/keyring.js';
import { DecisionLogUnavailableError } from '../../../infra/redis/decision-log-errors.js';
import { handoverMac } from '../../../infra/redis/decision-log-mac.js';
import { decision } from './fixtures/decision-log-fixture.js';
import {
  KEY_A,
  KEY_B,
  KEY_C,
  logWith,
  readChain,
  rewrite,
  rotatedLog,
  rotationIndex,
  type Rec,
} from './fixtures/decision-log-rotation-fixture.js';

const mac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest('hex');
const setField = (canonical: string, index: number, value: unknown): string => {
  const arr = JSON.parse(canonical) as unknown[];
  arr[index] = value;
  return JSON.stringify(arr);
};
const CAMPAIGN = 7; // positions in the canonical array, after the version tag
const PREV = HASHED_COLUMNS.indexOf('prevHash') + 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// A subject whose entries go to chain 0 of a two-chain log.
const chain0 = (n: number) => {
  for (let i = n; ; i++) if (partitionOf(decision(i).subjectRef, 2) === 0) return decision(i);
};

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

test('a writer still holding the old log key is refused, writes nothing, and the chain still verifies', async () => {
  const { redis, oldLog, newLog, chain } = await rotatedLog();
  const before = await redis.xlen(chain);
  await assert.rejects(oldLog.append(chain0(900)), (e: unknown) => {
    assert.ok(e instanceof DecisionLogUnavailableError && e.reason === 'key_rotated');
    assert.match(
      e.message,
      /chain 0 is under log key log-[0-9a-f]{10}: this process holds log key log-a, so the log key was rotated since it started; restart it with the current keyring; nothing may be sent/,
    );
    return true;
  });
  assert.equal(await redis.xlen(chain), before);
  assert.equal((await newLog.verify()).ok, true);
  // Restarted with the new ring, a writer keeps appending to the same chains.
  const restarted = logWith(redis, oldLog.opts.keyPrefix, oldLog.opts.dataDir, KEY_B, [KEY_A]);
  await restarted.appendBatch([chain0(901), decision(902), decision(903)]);
  assert.equal((await restarted.verify()).ok, true);
});

test('a writer ignoring the head key id would be caught by verify at the entry it wrote', async () => {
  const { redis, oldLog, newLog, chain } = await rotatedLog();
  await redis.hdel(newLog.keys.logHead(0), 'kid');
  const e = await oldLog.append(chain0(900));
  assert.equal(e.seq, await redis.xlen(chain));
  const report = await newLog.verify();
  assert.deepEqual(
    report.breaks.map((b) => ({ partition: b.partition, seq: b.seq, kind: b.kind })),
    [{ partition: 0, seq: e.seq, kind: 'forged' }],
  );
  assert.match(report.breaks[0]!.detail, /is MACed under log key log-a, but the chain is under log-b there/);
});

test('until every chain records the handover, writers with the new ring are refused; running it again finishes it', async () => {
  const { redis, prefix } = await import('../../helpers/services.js').then((m) => m.testRedis());
  const dataDir = (await import('node:fs')).mkdtempSync('/tmp/cf-log-rot-');
  const a = logWith(redis, prefix, dataDir, KEY_A, []);
  await a.appendBatch(Array.from({ length: 12 }, (_, i) => decision(i)));
  const b = logWith(redis, prefix, dataDir, KEY_B, [KEY_A]);
  await assert.rejects(
    b.append(decision(50)),
    /chain \d is under log key log-a: the rotation to log-b is not recorded there yet; run `consentflow keys rotate log` to finish it/,
  );
  const interrupted = await b.verify();
  assert.deepEqual(
    interrupted.breaks.map((x) => x.kind),
    ['unrotated', 'unrotated'],
  );
  assert.equal((await b.handOver('ops')).handedOver, 2);
  assert.equal((await b.handOver('ops')).handedOver, 0, 'a second run has nothing left');
  await b.append(decision(51));
  assert.equal((await b.verify()).ok, true);
});

test('a verifier holding only the old key reports the key it lacks, not tampering', async () => {
  const { oldLog } = await rotatedLog();
  // Known from the fixture, not read back from the chains: each chain holds its share of the 20 entries written
  // under the old key, then the handover, which is the first record the old key's holder cannot check.
  const before = [0, 1].map(
    (p) => Array.from({ length: 20 }, (_, i) => decision(i)).filter((d) => partitionOf(d.subjectRef, 2) === p).length,
  );
  assert.ok(
    before.every((n) => n > 0),
    'the fixture writes to both chains before the handover',
  );
  const report = await oldLog.verify();
  assert.deepEqual(
    report.breaks.map((b) => ({ partition: b.partition, seq: b.seq, kind: b.kind })),
    [
      { partition: 0, seq: before[0]! + 1, kind: 'unknown_key' },
      { partition: 1, seq: before[1]! + 1, kind: 'unknown_key' },
    ],
  );
  assert.match(report.breaks[0]!.detail, /under log key log-b, which this keyring does not hold/);
});

test('sealed segments, their manifest and the witness carry across rotations, and truncation is still caught', async () => {
  const { redis, prefix } = await import('../../helpers/services.js').then((m) => m.testRedis());
  const dataDir = (await import('node:fs')).mkdtempSync('/tmp/cf-log-rot-');
  const a = logWith(redis, prefix, dataDir, KEY_A, []);
  await a.appendBatch(Array.from({ length: 30 }, (_, i) => decision(i)));
  await sleep(5);
  assert.equal((await a.seal(new Date())).trimmed, 30);
  assert.equal((await a.verify({ recordWitness: true })).ok, true);
  const b = logWith(redis, prefix, dataDir, KEY_B, [KEY_A]);
  await b.handOver('ops');
  await b.appendBatch(Array.from({ length: 20 }, (_, i) => decision(100 + i)));
  await sleep(5);
  assert.equal((await b.seal(new Date())).trimmed, 22, 'the second seal takes the handovers and what followed');
  const c = logWith(redis, prefix, dataDir, KEY_C, [KEY_B, KEY_A]);
  await c.handOver('ops');
  await c.appendBatch(Array.from({ length: 10 }, (_, i) => decision(200 + i)));
  const clean = await c.verify({ recordWitness: true });
  assert.deepEqual(
    { ok: clean.ok, entries: clean.entries, segments: clean.segments },
    { ok: true, entries: 64, segments: 4 },
  );
  // Manifest and witness are read together; whichever is checked first names itself.
  await assert.rejects(
    b.verify(),
    /(manifest|witness)\.json was altered: its MAC does not match \(forged\), or it was signed under a newer log key/,
  );
  const recs = await readChain(redis, c.keys.logChain(1));
  await redis.xdel(c.keys.logChain(1), recs.at(-1)!.id);
  const prior = await redis.hgetall(c.keys.logHead(1));
  assert.ok(prior.seq);
  const cut = await c.verify();
  assert.deepEqual(
    cut.breaks.map((x) => ({ partition: x.partition, kind: x.kind })),
    [{ partition: 1, kind: 'truncated' }],
  );
});

test('processes that name the same log key differently still append to one chain', async () => {
  const { redis, newLog } = await rotatedLog();
  const renamed = logWith(redis, newLog.opts.keyPrefix, newLog.opts.dataDir, { id: 'log-b-from-env', key: KEY_B.key }, [
    { id: 'log-a-from-env', key: KEY_A.key },
  ]);
  await renamed.appendBatch([chain0(700), decision(701)]);
  assert.equal((await renamed.verify()).ok, true);
  assert.equal((await newLog.verify()).ok, true);
});
