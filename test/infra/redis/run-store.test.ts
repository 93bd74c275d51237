import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { redisKeys } from '../../../infra/redis/keys.js';
import { RunStore } from '../../../infra/redis/run-store.js';
import { createPseudonymizer } from '../../../infra/crypto/pseudonym.js';
import { testRedis, uniqueId } from '../../helpers/services.js';

const { redis, prefix } = testRedis();
const runs = new RunStore(redis, redisKeys(prefix));
const refOf = createPseudonymizer(Buffer.alloc(32, 3));
const run = (runId = uniqueId('run')) => ({
  runId,
  campaignId: 'c1',
  kind: 'broadcast' as const,
  workflowId: 'campaign:c1',
  startedAt: new Date().toISOString(),
  segment: 's',
  sendSteps: ['send'],
  status: 'snapshotting' as const,
});

test('an audience is paged in subjectRef order after any position, and sealed with its size and digest', async () => {
  const r = await runs.register(run());
  const refs = Array.from({ length: 25 }, (_, i) => refOf(`m${i}`));
  await runs.addMembers(r.runId, refs);
  await runs.addMembers(r.runId, refs.slice(0, 5));
  const sorted = [...refs].sort();
  const pages = [];
  for await (const p of runs.pages(r.runId, 10)) pages.push(p);
  assert.deepEqual(pages.flat(), sorted);
  assert.deepEqual(await runs.page(r.runId, sorted[11]!, 3), sorted.slice(12, 15));
  const sealed = await runs.seal(r.runId);
  assert.equal(sealed.audienceSize, 25);
  assert.equal(
    sealed.audienceDigest,
    createHash('sha256')
      .update(sorted.map((x) => `${x}\n`).join(''))
      .digest('hex'),
  );
});

test('a repeated register keeps the first record, and concurrent updates of different fields both hold', async () => {
  const first = await runs.register(run());
  await runs.register({ ...run(first.runId), segment: 'other' });
  assert.equal((await runs.get(first.runId))?.segment, 's');
  await Promise.all([
    runs.update(first.runId, { temporalRunId: 't-1' }),
    runs.seal(first.runId),
    runs.update(first.runId, { summaryEntryId: 'x' }),
  ]);
  const got = (await runs.get(first.runId))!;
  assert.deepEqual([got.temporalRunId, got.status, got.audienceSize, got.summaryEntryId], ['t-1', 'ready', 0, 'x']);
  assert.deepEqual((await runs.list('c1')).map((r) => r.runId).includes(first.runId), true);
});

test('deferred members come back when due, earliest first', async () => {
  const r = await runs.register(run());
  const [a, b] = [refOf('a'), refOf('b')];
  await runs.defer(r.runId, [
    { ref: a, dueAt: 1_000 },
    { ref: b, dueAt: 5_000 },
  ]);
  assert.deepEqual(await runs.due(r.runId, 2_000, 10), [a]);
  assert.deepEqual(await runs.waiting(r.runId), { count: 2, nextDueAt: 1_000 });
  await runs.undefer(r.runId, [a]);
  assert.deepEqual(await runs.waiting(r.runId), { count: 1, nextDueAt: 5_000 });
});

test('chunk starts cut the audience into pages by offset: each page begins after the previous start, the window ends at next', async () => {
  const r = await runs.register(run());
  const sorted = Array.from({ length: 25 }, (_, i) => refOf(`c${i}`)).sort();
  await runs.addMembers(r.runId, sorted);
  // 25 members in pages of 4, three at a time: 0-3, 4-7, 8-11, then the next window after member 11.
  const a = await runs.chunkStarts(r.runId, '', 4, 3);
  assert.deepEqual(a, { starts: ['', sorted[3], sorted[7]], next: sorted[11] });
  for (const [k, start] of a.starts.entries())
    assert.deepEqual(await runs.page(r.runId, start, 4), sorted.slice(k * 4, k * 4 + 4));
  // The last window: pages 20-23 and 24 alone, nothing after it.
  assert.deepEqual(await runs.chunkStarts(r.runId, sorted[19]!, 4, 3), {
    starts: [sorted[19], sorted[23]],
    next: null,
  });
  // A window that ends exactly at the last member has no next, and one past the end has no pages.
  assert.deepEqual(await runs.chunkStarts(r.runId, sorted[14]!, 5, 2), {
    starts: [sorted[14], sorted[19]],
    next: null,
  });
  assert.deepEqual(await runs.chunkStarts(r.runId, sorted[24]!, 4, 3), { starts: [], next: null });
});
