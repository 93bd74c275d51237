import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partitionOf } from '../../../domain/decision-log-canonical.js';
import { DecisionLogUnavailableError } from '../../../infra/redis/decision-log-errors.js';
import { decision } from './fixtures/decision-log-fixture.js';
import { KEY_A, KEY_B, KEY_C, logWith, readChain, rotatedLog } from './fixtures/decision-log-rotation-fixture.js';
import { chain0, sleep } from './decision-log-rotation-helpers.js';

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
