import { createHash } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { z } from 'zod';
import { SubjectRef } from '../../domain/ids.js';
import { globEscape } from './ledger-retention.js';
import { RunJourneys } from './run-journeys.js';
import type { RedisKeys } from './keys.js';

/** A campaign run as recorded when it starts: who it addresses, and, once fixed, its audience size and digest. */
export const RunRecord = z.object({
  runId: z.string().min(1),
  campaignId: z.string().min(1),
  /** broadcast: one send step per member; journey: one journey per member. */
  kind: z.enum(['broadcast', 'journey']),
  workflowId: z.string().min(1),
  /** The first Temporal run of the run's workflow (absent for runs on named subjects: one journey each). */
  temporalRunId: z.string().optional(),
  startedAt: z.string(),
  /** The segment the audience was taken from, or absent for a run on named subjects. */
  segment: z.string().optional(),
  /** Send step ids of the campaign, for per-step counts. */
  sendSteps: z.array(z.string()),
  status: z.enum(['snapshotting', 'ready', 'finished']),
  audienceSize: z.number().int().min(0).optional(),
  /** SHA-256 over the audience's subjectRefs in order, one per line. */
  audienceDigest: z.string().optional(),
  finishedAt: z.string().optional(),
  summaryEntryId: z.string().optional(),
  /** The summary entry's result (counts and digest), kept with the run once its members' records are gone. */
  summaryResult: z.string().optional(),
  /** When retention removed the run's member state (audience, deferred set, journey registry, flag). */
  stateRemovedAt: z.string().optional(),
});
export type RunRecord = z.infer<typeof RunRecord>;

const PAGE = 1_000;
/** The digest reads bigger pages: it only hashes them. */
const SEAL_PAGE = 5_000;

// Writes a run's fields only if the run is not recorded yet: a repeat start keeps the first record whole.
const REGISTER =
  "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end redis.call('HSET', KEYS[1], unpack(ARGV)) return 1";

/** Campaign runs (one hash field per record field) and their fixed, ordered audiences, under the run's hash tag. */
export class RunStore {
  /** Each run's registered journeys and pause flag. */
  readonly journeys: RunJourneys;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.journeys = new RunJourneys(redis, keys);
  }

  /** Records a run (once: a repeat keeps the first record) and lists it under its campaign. */
  async register(run: RunRecord): Promise<RunRecord> {
    const fields = Object.entries(RunRecord.parse(run)).flatMap(([k, v]) => [k, JSON.stringify(v)]);
    await this.redis.eval(REGISTER, 1, this.keys.runMeta(run.runId), ...fields);
    await this.redis.zadd(this.keys.campaignRuns(run.campaignId), 'NX', Date.parse(run.startedAt), run.runId);
    return (await this.get(run.runId))!;
  }

  /** Drops a run that never started (its workflow was already running). */
  async forget(runId: string): Promise<void> {
    const run = await this.get(runId);
    await this.redis.del(
      this.keys.runMeta(runId),
      this.keys.runAudience(runId),
      this.keys.runDeferred(runId),
      this.keys.runJourneys(runId),
      this.keys.runPaused(runId),
    );
    if (run) await this.redis.zrem(this.keys.campaignRuns(run.campaignId), runId);
  }

  /**
   * Removes a run's member state (audience, deferred set, journey registry and flag) and marks its record, in one
   * transaction on the run's slot. The record, with its counts, stays.
   */
  async removeState(runId: string, at: string): Promise<void> {
    await this.redis
      .multi()
      .del(
        this.keys.runAudience(runId),
        this.keys.runDeferred(runId),
        this.keys.runJourneys(runId),
        this.keys.runPaused(runId),
      )
      .hset(this.keys.runMeta(runId), 'stateRemovedAt', JSON.stringify(at))
      .exec();
  }

  /** Every run's record, a page at a time (SCAN on each master of a cluster; a record that does not read is skipped). */
  async *all(count = 200): AsyncGenerator<RunRecord[]> {
    // The key around a run id, for a SCAN pattern and to read the id back out of each key found.
    const [head, tail] = this.keys.runMeta('\u0000').split('\u0000') as [string, string];
    const pattern = `${globEscape(head)}*${globEscape(tail)}`;
    const nodes = this.redis instanceof Cluster ? (this.redis as Cluster).nodes('master') : [this.redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
        cursor = next;
        const ids = keys.map((k) => k.slice(head.length, k.length - tail.length));
        const runs = await Promise.all(ids.map((id) => this.get(id).catch(() => undefined)));
        const page = runs.filter((r): r is RunRecord => r !== undefined);
        if (page.length) yield page;
      } while (cursor !== '0');
    }
  }

  /** A run's record, or undefined. */
  async get(runId: string): Promise<RunRecord | undefined> {
    const raw = await this.redis.hgetall(this.keys.runMeta(runId));
    if (Object.keys(raw).length === 0) return undefined;
    return RunRecord.parse(Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, JSON.parse(v) as unknown])));
  }

  /** A campaign's runs, newest first. */
  async list(campaignId: string): Promise<RunRecord[]> {
    const ids = await this.redis.zrevrange(this.keys.campaignRuns(campaignId), 0, -1);
    const runs = await Promise.all(ids.map((id) => this.get(id)));
    return runs.filter((r): r is RunRecord => r !== undefined);
  }

  /** Sets the given fields only, so concurrent updates of different fields never undo each other. */
  async update(runId: string, patch: Partial<RunRecord>): Promise<RunRecord> {
    const cur = await this.get(runId);
    if (!cur) throw new Error(`run ${runId} is not recorded`);
    const next = RunRecord.parse({ ...cur, ...patch });
    const fields = Object.keys(patch).flatMap((k) => [k, JSON.stringify(next[k as keyof RunRecord])]);
    if (fields.length) await this.redis.hset(this.keys.runMeta(runId), ...fields);
    return next;
  }

  /** Adds members to a run's audience (idempotent). */
  async addMembers(runId: string, refs: readonly string[]): Promise<void> {
    if (refs.length) await this.redis.zadd(this.keys.runAudience(runId), ...refs.flatMap((r) => ['0', r]));
  }

  /** Fixes the audience: counts it and digests its members in order. */
  async seal(runId: string): Promise<RunRecord> {
    const h = createHash('sha256');
    let size = 0;
    for await (const refs of this.pages(runId, SEAL_PAGE)) {
      // The same bytes as one update per member ("ref\n" each), in one call per page.
      if (refs.length) h.update(`${refs.join('\n')}\n`);
      size += refs.length;
    }
    return this.update(runId, { status: 'ready', audienceSize: size, audienceDigest: h.digest('hex') });
  }

  /** Up to `count` members after `after` (exclusive; '' for the start), in subjectRef order. */
  async page(runId: string, after: string, count: number): Promise<SubjectRef[]> {
    const refs = await this.redis.zrangebylex(
      this.keys.runAudience(runId),
      after ? `(${after}` : '-',
      '+',
      'LIMIT',
      0,
      count,
    );
    return refs.map((r) => SubjectRef.parse(r));
  }

  /**
   * Where the next `chunks` pages of `size` members after `after` start (each page's exclusive lower bound), and the
   * bound after them when members remain: offsets into the audience, so no page is read to find them.
   */
  async chunkStarts(
    runId: string,
    after: string,
    size: number,
    chunks: number,
  ): Promise<{ starts: string[]; next: string | null }> {
    const key = this.keys.runAudience(runId);
    const min = after ? `(${after}` : '-';
    const [left, ...ends] = await Promise.all([
      this.redis.zlexcount(key, min, '+'),
      ...Array.from({ length: chunks }, (_, k) =>
        this.redis.zrangebylex(key, min, '+', 'LIMIT', (k + 1) * size - 1, 1),
      ),
    ]);
    const n = Math.min(chunks, Math.ceil(Number(left) / size));
    const bounds = (ends as string[][]).map((e) => (e[0] === undefined ? undefined : SubjectRef.parse(e[0])));
    const starts = Array.from({ length: n }, (_, k) => (k === 0 ? after : bounds[k - 1]!));
    return { starts, next: Number(left) > chunks * size ? bounds[chunks - 1]! : null };
  }

  /**
   * Every member, page by page, in subjectRef order. A fixed audience keeps each member's rank, so the pages are read
   * by rank with `ahead` reads in flight, not one round trip after another.
   */
  async *pages(runId: string, size = PAGE, ahead = 4): AsyncGenerator<SubjectRef[]> {
    const key = this.keys.runAudience(runId);
    let from = 0;
    const read = () => {
      const p = this.redis.zrange(key, from, from + size - 1);
      from += size;
      // Reads still in flight when the caller stops early are dropped; their failures with them.
      p.catch(() => undefined);
      return p;
    };
    const queue = Array.from({ length: ahead }, read);
    for (;;) {
      const refs = await queue.shift()!;
      if (refs.length) yield refs.map((r) => SubjectRef.parse(r));
      if (refs.length < size) return;
      queue.push(read());
    }
  }

  /** Schedules members for another attempt at `dueAt` (ms). */
  async defer(runId: string, items: ReadonlyArray<{ ref: string; dueAt: number }>): Promise<void> {
    if (items.length)
      await this.redis.zadd(this.keys.runDeferred(runId), ...items.flatMap((i) => [String(i.dueAt), i.ref]));
  }

  /** Members whose next attempt is due by `nowMs`. */
  async due(runId: string, nowMs: number, count: number): Promise<SubjectRef[]> {
    const refs = await this.redis.zrangebyscore(this.keys.runDeferred(runId), '-inf', nowMs, 'LIMIT', 0, count);
    return refs.map((r) => SubjectRef.parse(r));
  }

  /** Members no longer waiting. */
  async undefer(runId: string, refs: readonly string[]): Promise<void> {
    if (refs.length) await this.redis.zrem(this.keys.runDeferred(runId), ...refs);
  }

  /** How many members wait, and when the earliest is due (ms). */
  async waiting(runId: string): Promise<{ count: number; nextDueAt: number | null }> {
    const [count, first] = await Promise.all([
      this.redis.zcard(this.keys.runDeferred(runId)),
      this.redis.zrange(this.keys.runDeferred(runId), 0, 0, 'WITHSCORES'),
    ]);
    return { count, nextDueAt: first[1] === undefined ? null : Number(first[1]) };
  }
}
