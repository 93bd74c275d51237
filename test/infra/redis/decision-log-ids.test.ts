import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { test } from 'node:test';
import { decodeTime } from 'ulid';
import { ENTRY_RULES } from '../../../domain/decision-log.js';
import { entryIdFactory, pooledPrng } from '../../../infra/redis/decision-log-ids.js';

const T0 = 1_700_000_000_000;

function assertIncreasing(ids: readonly string[]): void {
  for (let i = 0; i < ids.length; i++) {
    assert.match(ids[i]!, ENTRY_RULES.ulid);
    if (i > 0) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} then ${ids[i]}`);
  }
}

test('entry ids are ULIDs of their time, increasing within a millisecond and across refills of the pool', () => {
  let fills = 0;
  const next = entryIdFactory(pooledPrng((b) => (fills++, randomFillSync(b))));
  // 16 random characters per new millisecond: 1,000 of them draw 16,000 bytes, four refills of the 4 KB pool.
  const ids: string[] = [];
  for (let ms = 0; ms < 1_000; ms++) for (let k = 0; k < 3; k++) ids.push(next(T0 + ms));
  assert.equal(fills, 4);
  assertIncreasing(ids);
  assert.equal(decodeTime(ids[0]!), T0);
  assert.equal(decodeTime(ids.at(-1)!), T0 + 999);
  // Each new millisecond's random part is fresh, not a repeat of an earlier one.
  assert.equal(new Set(ids.filter((_, i) => i % 3 === 0).map((id) => id.slice(10))).size, 1_000);
});

test('an id asked for with an earlier time than the last still sorts after it (the clock stepped back)', () => {
  const next = entryIdFactory();
  const ids = [next(T0 + 5), next(T0 + 5), next(T0), next(T0 + 6)];
  assertIncreasing(ids);
  assert.equal(decodeTime(ids[2]!), T0 + 5);
});

test('the pooled PRNG gives each of the 32 ULID characters the same share of byte values', () => {
  let b = 0;
  const prng = pooledPrng((buf) => {
    for (let i = 0; i < buf.length; i++) buf[i] = b++ & 0xff;
  });
  const hits = new Array<number>(32).fill(0);
  for (let i = 0; i < 4096; i++) {
    const x = prng();
    assert.ok(x >= 0 && x < 1);
    hits[Math.floor(x * 32)]!++;
  }
  assert.deepEqual(hits, new Array<number>(32).fill(128));
});
