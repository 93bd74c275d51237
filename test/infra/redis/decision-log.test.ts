import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { CSV_HEADER } from '../../../domain/decision-log-canonical.js';
import { DecisionLogUnavailableError, LogEntryInvalidError } from '../../../infra/redis/decision-log-errors.js';
import { testRedis } from '../../helpers/services.js';
import { decision, makeLog, refOf } from './fixtures/decision-log-fixture.js';

const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

test('appends single and batched entries into valid chains that verify', async () => {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix);
  const one = await log.append(decision(1));
  assert.equal(one.seq, 1);
  const batch = await log.appendBatch(Array.from({ length: 200 }, (_, i) => decision(i + 2)));
  assert.equal(batch.length, 200);
  assert.deepEqual(
    batch.map((e) => e.workflowId),
    Array.from({ length: 200 }, (_, i) => `journey-${i + 2}`),
  );
  const report = await log.verify();
  assert.deepEqual(
    { ok: report.ok, entries: report.entries, breaks: report.breaks },
    { ok: true, entries: 201, breaks: [] },
  );
});

test('an entry appended again under the same idempotency key is not doubled: the stored entry comes back', async () => {
  const { redis, prefix } = testRedis();
  const a = makeLog(redis, prefix, { partitions: 2 });
  const b = makeLog(redis, prefix, { partitions: 2 });
  const first = await a.appendBatch([decision(1), decision(2)], { idempotencyKeys: ['k1', null] });
  // Another writer retries the whole batch (and adds one more): only the keyless and the new entries are appended.
  const again = await b.appendBatch([decision(1), decision(2), decision(3)], { idempotencyKeys: ['k1', null, 'k3'] });
  assert.equal(again[0]!.id, first[0]!.id);
  assert.deepEqual(again[0], first[0]);
  assert.notEqual(again[1]!.id, first[1]!.id);
  const third = await a.appendBatch([decision(3)], { idempotencyKeys: ['k3'] });
  assert.equal(third[0]!.id, again[2]!.id);
  const report = await a.verify();
  assert.deepEqual({ ok: report.ok, entries: report.entries }, { ok: true, entries: 4 });
});

test('a delivery entry links to the decision that authorised it', async () => {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix);
  const d = await log.append(decision(4));
  const del = await log.append({
    ...decision(4),
    kind: 'delivery',
    outcome: 'sent',
    reasons: [],
    decisionId: d.id,
    result: 'accepted',
    smtpCode: 250,
    messageId: '<m1@shop.example>',
  });
  assert.equal(del.prevHash, d.hash);
  const [found] = await collect(log.query({ kind: 'delivery' }));
  assert.deepEqual({ decisionId: found?.decisionId, smtpCode: found?.smtpCode }, { decisionId: d.id, smtpCode: 250 });
});

test('a second log instance (another worker) continues the same chains without conflict', async () => {
  const { redis, prefix } = testRedis();
  const a = makeLog(redis, prefix, { partitions: 1 });
  const b = makeLog(redis, prefix, { partitions: 1 });
  await a.append(decision(1));
  await b.append(decision(2)); // b has no cached head and reads it
  await a.append(decision(3)); // a's cached head is stale: the script refuses, a rehashes and retries
  assert.equal((await a.verify()).ok, true);
  assert.equal(await redis.xlen(a.keys.logChain(0)), 3);
});

test('refuses entries stamped by a clock far from the Redis clock, so time queries never miss them', async () => {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix, { now: () => new Date(Date.now() - 3_600_000) });
  await assert.rejects(
    log.append(decision(1)),
    (e: unknown) => e instanceof DecisionLogUnavailableError && e.reason === 'clock_skew',
  );
});

test('rejects an invalid entry before touching Redis', async () => {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix);
  await assert.rejects(log.append({ ...decision(1), subjectRef: 'bob@example.com' as never }), LogEntryInvalidError);
  assert.equal((await log.verify()).entries, 0);
});

test('throws DecisionLogUnavailableError when Redis is unreachable, within the timeout', async () => {
  const dead = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    retryStrategy: () => 50,
  });
  dead.on('error', () => {});
  const log = makeLog(dead, 'unreachable:', { timeoutMs: 300 });
  const t0 = Date.now();
  await assert.rejects(
    log.append(decision(1)),
    (e: unknown) => e instanceof DecisionLogUnavailableError && e.reason === 'timeout',
  );
  assert.ok(Date.now() - t0 < 2_000);
  dead.disconnect();
});

test('throws DecisionLogUnavailableError on a disconnected client', async () => {
  const { url, prefix } = testRedis();
  const client = new Redis(url);
  await client.ping();
  client.disconnect();
  const log = makeLog(client, prefix, { timeoutMs: 500 });
  await assert.rejects(
    log.append(decision(1)),
    (e: unknown) => e instanceof DecisionLogUnavailableError && ['redis', 'timeout'].includes(e.reason),
  );
});

test('query filters by subject, campaign, purpose, outcome, reason and period, and pages with a cursor', async () => {
  const { redis, prefix } = testRedis();
  let now = Date.now() - 60_000;
  const log = makeLog(redis, prefix, { now: () => new Date((now += 1000)) });
  await log.appendBatch(Array.from({ length: 60 }, (_, i) => decision(i)));
  const all = await collect(log.query());
  assert.equal(all.length, 60);
  assert.deepEqual(
    all.map((e) => e.at),
    [...all.map((e) => e.at)].sort(),
    'oldest first across partitions',
  );
  assert.deepEqual(
    (await collect(log.query({ subjectRef: refOf('subject-7') }))).map((e) => e.workflowId),
    ['journey-7'],
  );
  assert.equal((await collect(log.query({ campaignId: 'spring-sale' }))).length, 30);
  assert.equal((await collect(log.query({ outcome: 'deny', reason: 'consent_withdrawn' }))).length, 20);
  assert.equal((await collect(log.query({ purpose: 'marketing.sms' }))).length, 0);
  const window = await collect(log.query({ since: new Date(all[10]!.at), until: new Date(all[20]!.at) }));
  assert.deepEqual(
    window.map((e) => e.id),
    all.slice(10, 20).map((e) => e.id),
  );
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await log.queryPage({}, 7, cursor);
    seen.push(...page.entries.map((e) => e.id));
    cursor = page.cursor ?? undefined;
  } while (cursor);
  assert.deepEqual([...seen].sort(), all.map((e) => e.id).sort());
});

test('CSV export has the stable header and one line per entry; JSONL keys follow the same order', async () => {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix);
  await log.appendBatch(Array.from({ length: 5 }, (_, i) => decision(i, { campaignId: 'a,"quoted"' })));
  const csv = await collect(log.exportEntries({ format: 'csv' }));
  assert.equal(csv[0], CSV_HEADER);
  assert.equal(csv.length, 6);
  const jsonl = await collect(log.exportEntries({ format: 'jsonl' }));
  assert.deepEqual(Object.keys(JSON.parse(jsonl[0]!) as object), CSV_HEADER.split(','));
});

test('an export of a run with known emails and names as subject ids contains none of them', async () => {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix);
  const people = ['alice.smith@example.com', 'bob.jones@mail.example', 'Zhang Wei', 'Élodie Durand', '+8613800138000'];
  await log.appendBatch(people.map((p, i) => decision(i, { subjectRef: refOf(p) })));
  const text = [
    ...(await collect(log.exportEntries({ format: 'jsonl' }))),
    ...(await collect(log.exportEntries({ format: 'csv' }))),
  ].join('\n');
  for (const p of people) {
    for (const needle of [p, p.toLowerCase(), p.split('@')[0]!, p.split(' ')[0]!])
      assert.ok(!text.toLowerCase().includes(needle.toLowerCase()), `${needle} leaked`);
  }
  assert.ok(text.includes(refOf(people[0]!)));
});
