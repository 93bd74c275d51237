import type { Redis } from 'ioredis';
import { z } from 'zod';
import { GENESIS_HASH, type LogEntry } from '../../domain/decision-log.js';
import { canonicalEntry, decodeEntry } from '../../domain/decision-log-canonical.js';
import { logKeyTag } from '../keyring.js';
import { DecisionLogUnavailableError, keyRotatedError } from './decision-log-errors.js';
import { entryHash, headMac } from './decision-log-mac.js';
import type { LogScripts } from './decision-log-lua.js';
import type { DecisionLogOptions } from './decision-log-options.js';
import { CLOCK_SKEW_MS, HeadSeqHash, redisPages, type RawRecord } from './decision-log-read.js';
import { runCounterArgs } from './run-counters.js';

/** How long an idempotency key is remembered: long enough to cover retries of a crashed or failed batch. */
const IDEMPOTENCY_TTL_S = 3 * 86_400;

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * An entry validated and stamped for the chain, whose position (seq, prevHash, hash) the appender fills in; with
 * its time in ms and its idempotency key ('' for none).
 */
export interface PendingEntry {
  readonly entry: LogEntry;
  readonly atMs: number;
  readonly idem: string;
}

const Head = z.tuple(HeadSeqHash);
type ChainHead = { seq: number; hash: string };

/**
 * Writes entries onto one partition's chain by compare-and-set against the head it last saw, one batch at a time
 * per partition; every Redis call races the append's deadline.
 */
export class ChainAppender {
  private readonly heads = new Map<number, ChainHead>();
  private readonly queues = new Map<number, Promise<unknown>>();

  constructor(
    private readonly opts: DecisionLogOptions,
    private readonly redis: Redis & LogScripts,
  ) {}

  /** Appends `entries` to `partition`'s chain after any batch already queued for it; returns them as stored. */
  write(partition: number, entries: PendingEntry[], deadline: number): Promise<LogEntry[]> {
    return this.serial(partition, () => this.appendToPartition(partition, entries, deadline));
  }

  // Appends from one process to one partition queue up locally, so only other processes cause CAS conflicts.
  private serial<T>(partition: number, f: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(partition) ?? Promise.resolve()).then(f, f);
    this.queues.set(
      partition,
      run.catch(() => undefined),
    );
    return run;
  }

  private async appendToPartition(partition: number, all: PendingEntry[], deadline: number): Promise<LogEntry[]> {
    const chain = this.opts.keys.logChain(partition);
    const headKey = this.opts.keys.logHead(partition);
    const dayMs = all[0]!.atMs;
    const idem = [
      this.opts.keys.logIdempotency(partition, utcDay(dayMs)),
      this.opts.keys.logIdempotency(partition, utcDay(dayMs - 86_400_000)),
    ] as const;
    const kid = logKeyTag(this.opts.logKey);
    const out = new Array<LogEntry>(all.length);
    let todo = all.map((item, i) => ({ item, i }));
    // Neither the counters nor the clock bounds depend on the chain position, so they change only with `todo`.
    let fixed = this.fixedArgs(partition, todo);
    let head = this.heads.get(partition) ?? (await this.readHead(partition, deadline));
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      const args: string[] = [];
      let prev = head;
      for (const { item } of todo) {
        const entry = item.entry;
        entry.seq = prev.seq + 1;
        entry.prevHash = prev.hash;
        const canonical = canonicalEntry(entry);
        entry.hash = entryHash(this.opts.logKey, canonical);
        args.push(canonical, entry.hash, item.idem);
        prev = { seq: entry.seq, hash: entry.hash };
      }
      const mac = headMac(this.opts.logKey, partition, prev.seq, prev.hash);
      const res = await this.call(deadline, () =>
        this.redis.cfLogAppend(
          chain,
          headKey,
          ...idem,
          String(head.seq),
          head.hash,
          String(prev.seq),
          prev.hash,
          mac,
          ...fixed.clock,
          kid,
          String(todo.length),
          ...args,
          ...fixed.counters,
        ),
      );
      if (res[0] === 1) {
        this.heads.set(partition, prev);
        for (const { item, i } of todo) out[i] = item.entry;
        return out;
      }
      if (res[0] === 3) {
        // Already logged by an earlier attempt: hand back the stored entries and append only the rest.
        const dup = new Map<number, string>();
        for (let k = 1; k + 1 < res.length; k += 2) dup.set(Number(res[k]), String(res[k + 1]));
        for (const [k, streamId] of dup)
          out[todo[k]!.i] = await this.call(deadline, () => this.storedEntry(chain, streamId));
        todo = todo.filter((_, k) => !dup.has(k));
        if (todo.length === 0) return out;
        fixed = this.fixedArgs(partition, todo);
        continue;
      }
      if (res[0] === 4) throw keyRotatedError(this.opts.logRing, partition, String(res[1]));
      if (res[0] === 2) {
        throw new DecisionLogUnavailableError(
          'clock_skew',
          `entry time differs from the Redis clock (${new Date(Number(res[1])).toISOString()}) by more than ${CLOCK_SKEW_MS / 60_000} minutes; fix this host's clock (NTP); nothing may be sent`,
        );
      }
      // Another writer moved the head: rehash against the head the script saw.
      head = { seq: Number(res[1]), hash: String(res[2]) };
      this.heads.set(partition, head);
      if (attempt > 3) await new Promise((r) => setTimeout(r, Math.random() * attempt));
    }
    throw new DecisionLogUnavailableError(
      'conflict',
      `decision log partition ${partition}: head kept moving after ${this.opts.maxAttempts} attempts; nothing may be sent`,
    );
  }

  private fixedArgs(partition: number, todo: readonly { item: PendingEntry }[]) {
    let min = Infinity;
    let max = -Infinity;
    for (const { item } of todo) {
      if (item.atMs < min) min = item.atMs;
      if (item.atMs > max) max = item.atMs;
    }
    return {
      clock: [String(min), String(max), String(CLOCK_SKEW_MS), String(IDEMPOTENCY_TTL_S)],
      counters: runCounterArgs(
        this.opts.keys,
        partition,
        todo.map(({ item }) => item),
      ),
    };
  }

  private async storedEntry(chain: string, streamId: string): Promise<LogEntry> {
    let rec: RawRecord | undefined;
    for await (const page of redisPages(this.redis, chain, streamId, streamId, 1)) rec ??= page[0];
    const decoded = rec ? decodeEntry(rec.canonical, rec.hash) : undefined;
    if (!decoded?.ok)
      throw new Error(
        `decision log entry ${streamId} of ${chain}, appended by an earlier attempt, is no longer readable in Redis`,
      );
    return decoded.entry;
  }

  private async readHead(partition: number, deadline: number): Promise<ChainHead> {
    const raw = await this.call(deadline, () => this.redis.hmget(this.opts.keys.logHead(partition), 'seq', 'hash'));
    const [seq, hash] = Head.parse(raw);
    return { seq: seq === null ? 0 : Number(seq), hash: hash ?? GENESIS_HASH };
  }

  // Every Redis call races the deadline, because an offline client queues commands instead of failing.
  private async call<T>(deadline: number, f: () => Promise<T>): Promise<T> {
    const left = deadline - Date.now();
    if (left <= 0)
      throw new DecisionLogUnavailableError(
        'timeout',
        `decision log append timed out after ${this.opts.timeoutMs} ms; nothing may be sent`,
      );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DecisionLogUnavailableError(
              'timeout',
              `decision log append timed out after ${this.opts.timeoutMs} ms; nothing may be sent`,
            ),
          ),
        left,
      );
    });
    try {
      return await Promise.race([f(), timeout]);
    } catch (e) {
      if (e instanceof DecisionLogUnavailableError) throw e;
      throw new DecisionLogUnavailableError(
        'redis',
        `decision log append failed: ${(e as Error).message}; nothing may be sent`,
        { cause: e },
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
