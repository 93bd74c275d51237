import type { Redis } from 'ioredis';
import { monotonicFactory } from 'ulid';
import { z } from 'zod';
import { GENESIS_HASH, LogEntryInput, type LogEntry, type ParsedLogEntryInput } from '../../domain/decision-log.js';
import { canonicalEntry, decodeEntry, partitionOf, type UnhashedEntry } from '../../domain/decision-log-canonical.js';
import type { AppConfig } from '../config.js';
import { logKeyTag } from '../keyring.js';
import { DecisionLogUnavailableError, keyRotatedError, LogEntryInvalidError } from './decision-log-errors.js';
import { chainKeyIds, handOverAll, type HandoverResult } from './decision-log-handover.js';
import { entryHash, headMac } from './decision-log-mac.js';
import { logScripts, type LogScripts } from './decision-log-lua.js';
import { CLOCK_SKEW_MS, redisPages, type RawRecord } from './decision-log-read.js';
import {
  queryEntries,
  queryPage,
  exportEntries,
  type ExportOptions,
  type LogQuery,
  type QueryPage,
} from './decision-log-query.js';
import { probeLogAppend } from './decision-log-probe.js';
import { sealBefore, type SealResult } from './decision-log-seal.js';
import { heldBefore, removeSegments, segmentsPastRetention } from './decision-log-retention.js';
import { readManifest, type SegmentInfo } from './decision-log-segments.js';
import { verifyLog, type VerifyOptions, type VerifyReport } from './decision-log-verify.js';
import { decisionLogOptions, type DecisionLogDeps, type DecisionLogOptions } from './decision-log-options.js';
import type { RedisKeys } from './keys.js';

export { decisionLogOptions, type DecisionLogDeps, type DecisionLogOptions } from './decision-log-options.js';

/** Options of one append. */
export interface AppendOptions {
  /** Per input, a key that makes the append idempotent for a day or two (null or '' for none). */
  readonly idempotencyKeys?: readonly (string | null | undefined)[];
}

/** How long an idempotency key is remembered: long enough to cover retries of a crashed or failed batch. */
const IDEMPOTENCY_TTL_S = 3 * 86_400;

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

type PendingEntry = ParsedLogEntryInput & { id: string; at: string; idem: string };

const Head = z.tuple([
  z.string().regex(/^\d+$/).nullable(),
  z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
]);
type ChainHead = { seq: number; hash: string };

/** The tamper-evident decision log: hash-chained Redis streams, one per partition, plus sealed segment files. */
export class DecisionLog {
  readonly opts: DecisionLogOptions;
  private readonly redis: Redis & LogScripts;
  private readonly heads = new Map<number, ChainHead>();
  private readonly newId = monotonicFactory();
  private readonly queues = new Map<number, Promise<unknown>>();

  constructor(deps: DecisionLogDeps) {
    this.opts = decisionLogOptions(deps);
    this.redis = logScripts(deps.redis);
  }

  /** A log wired from the parsed configuration. */
  static fromConfig(config: AppConfig, redis: Redis): DecisionLog {
    const ring = config.secrets.rings.log;
    return new DecisionLog({
      redis,
      keyPrefix: config.redisKeyPrefix,
      logKey: ring.current.key,
      logKeyId: ring.current.id,
      previousLogKeys: ring.previous,
      partitions: config.logPartitions,
      dataDir: config.dataDir,
    });
  }

  get keys(): RedisKeys {
    return this.opts.keys;
  }

  /** Appends one entry durably and returns it as stored; throws DecisionLogUnavailableError if it could not. */
  async append(input: LogEntryInput): Promise<LogEntry> {
    const [entry] = await this.appendBatch([input]);
    return entry!;
  }

  /**
   * Appends entries with one round trip per partition touched; returns them in input order. An entry given an
   * idempotency key that was appended in the last day or two is not appended again: the stored entry comes back.
   */
  async appendBatch(inputs: readonly LogEntryInput[], opts: AppendOptions = {}): Promise<LogEntry[]> {
    const parsed = inputs.map((input, i) => {
      const r = LogEntryInput.safeParse(input);
      if (!r.success)
        throw new LogEntryInvalidError(
          `decision log entry ${i} is invalid: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
        );
      const at = r.data.at ?? this.opts.now().toISOString();
      return { ...r.data, id: r.data.id ?? this.newId(Date.parse(at)), at, idem: opts.idempotencyKeys?.[i] ?? '' };
    });
    const groups = new Map<number, number[]>();
    parsed.forEach((p, i) => {
      const part = partitionOf(p.subjectRef, this.opts.partitions);
      groups.set(part, [...(groups.get(part) ?? []), i]);
    });
    const out: LogEntry[] = new Array<LogEntry>(parsed.length);
    const deadline = Date.now() + this.opts.timeoutMs;
    await Promise.all(
      [...groups].map(async ([part, idx]) => {
        for (let i = 0; i < idx.length; i += this.opts.maxScriptBatch) {
          const slice = idx.slice(i, i + this.opts.maxScriptBatch);
          const written = await this.serial(part, () =>
            this.appendToPartition(
              part,
              slice.map((j) => parsed[j]!),
              deadline,
            ),
          );
          slice.forEach((j, k) => (out[j] = written[k]!));
        }
      }),
    );
    return out;
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
    const { chain, headKey } = { chain: this.keys.logChain(partition), headKey: this.keys.logHead(partition) };
    const dayMs = Date.parse(all[0]!.at);
    const idem = [
      this.keys.logIdempotency(partition, utcDay(dayMs)),
      this.keys.logIdempotency(partition, utcDay(dayMs - 86_400_000)),
    ] as const;
    const out = new Array<LogEntry>(all.length);
    let todo = all.map((item, i) => ({ item, i }));
    let head = this.heads.get(partition) ?? (await this.readHead(partition, deadline));
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      const entries: LogEntry[] = [];
      const args: string[] = [];
      let prev = head;
      for (const { item } of todo) {
        const { idem: key, ...fields } = item;
        const unhashed: UnhashedEntry = { ...fields, seq: prev.seq + 1, partition, prevHash: prev.hash };
        const canonical = canonicalEntry(unhashed);
        const hash = entryHash(this.opts.logKey, canonical);
        entries.push({ ...unhashed, hash });
        args.push(canonical, hash, key);
        prev = { seq: prev.seq + 1, hash };
      }
      const mac = headMac(this.opts.logKey, partition, prev.seq, prev.hash);
      const times = todo.map((x) => Date.parse(x.item.at));
      const clock = [
        String(Math.min(...times)),
        String(Math.max(...times)),
        String(CLOCK_SKEW_MS),
        String(IDEMPOTENCY_TTL_S),
      ];
      const kid = logKeyTag(this.opts.logKey);
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
          ...clock,
          kid,
          ...args,
        ),
      );
      if (res[0] === 1) {
        this.heads.set(partition, prev);
        todo.forEach(({ i }, k) => (out[i] = entries[k]!));
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

  /** Hands every chain over to the current log key with a signed rotation entry; see decision-log-handover.ts. */
  handOver(actor: string): Promise<HandoverResult> {
    return handOverAll(this.opts, actor);
  }

  /** The fingerprint of the log key each chain is under (null for an empty chain); stamps heads that have none yet. */
  chainKeyIds(): Promise<(string | null)[]> {
    return chainKeyIds(this.opts);
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
    const raw = await this.call(deadline, () => this.redis.hmget(this.keys.logHead(partition), 'seq', 'hash'));
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

  /** Throws unless an append could land now (readiness); appends nothing. */
  probeAppend(): Promise<void> {
    return probeLogAppend(this.opts.redis, this.keys, this.opts.partitions, this.opts.logRing);
  }

  /** Checks every chain from its start (segments, then Redis) and reports the first break of each. */
  verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    return verifyLog(this.opts, options);
  }

  /** Streams the entries matching `filter`, oldest first across partitions. */
  query(filter: LogQuery = {}): AsyncGenerator<LogEntry> {
    return queryEntries(this.opts, filter);
  }

  /** One page of matching entries and the cursor for the next page (null when there is none). */
  queryPage(filter: LogQuery, limit: number, cursor?: string): Promise<QueryPage> {
    return queryPage(this.opts, filter, limit, cursor);
  }

  /** Streams the entries of a period as JSONL or CSV lines (header first), in stable column order. */
  exportEntries(options: ExportOptions): AsyncGenerator<string> {
    return exportEntries(this.opts, options);
  }

  /** Seals every entry older than `before` into gzip segment files, then trims it from Redis. */
  seal(before: Date): Promise<SealResult> {
    return sealBefore(this.opts, before);
  }

  /** The sealed segments retention may delete at `cutoff`: all entries older, and per chain only its oldest kept ones. */
  async segmentsPastRetention(cutoff: Date): Promise<SegmentInfo[]> {
    return segmentsPastRetention(await readManifest(this.opts.dataDir, this.opts.logRing), cutoff.getTime());
  }

  /** Deletes sealed segments (oldest first, each verified), keeping their hashes in the manifest; see decision-log-retention.ts. */
  removeSegments(
    files: readonly string[],
    beforeRemoval?: (segments: SegmentInfo[]) => Promise<void>,
  ): Promise<SegmentInfo[]> {
    return removeSegments(this.opts, files, beforeRemoval);
  }

  /** Entries still held that are entirely older than `cutoff` (kept segments and Redis), for the review's retention check. */
  heldBefore(cutoff: Date): Promise<{ count: number; oldestMs: number | null }> {
    return heldBefore(this.opts, cutoff.getTime());
  }
}
