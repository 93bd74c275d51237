import type { Redis } from 'ioredis';
import { LogEntryInput, type LogEntry } from '../../domain/decision-log.js';
import { partitionOf } from '../../domain/decision-log-canonical.js';
import { isValidEntryInput } from '../../domain/decision-log-check.js';
import { unchainedEntry, type CheckedEntryInput } from '../../domain/decision-log-stamp.js';
import type { AppConfig } from '../config.js';
import { ChainAppender, type PendingEntry } from './decision-log-append.js';
import { LogEntryInvalidError } from './decision-log-errors.js';
import { chainKeyIds, handOverAll, type HandoverResult } from './decision-log-handover.js';
import { entryIdFactory } from './decision-log-ids.js';
import { logScripts } from './decision-log-lua.js';
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
import { verifyLog, type VerifyOptions, type VerifyReport } from './decision-log-verify.js';
import { decisionLogOptions, type DecisionLogDeps, type DecisionLogOptions } from './decision-log-options.js';
import type { RedisKeys } from './keys.js';

export { decisionLogOptions, type DecisionLogDeps, type DecisionLogOptions } from './decision-log-options.js';

/** Options of one append. */
export interface AppendOptions {
  /** Per input, a key that makes the append idempotent for a day or two (null or '' for none). */
  readonly idempotencyKeys?: readonly (string | null | undefined)[];
}

// The schema decides what the fast check refuses, and words the error.
function parseInput(input: LogEntryInput, i: number): CheckedEntryInput {
  const r = LogEntryInput.safeParse(input);
  if (!r.success)
    throw new LogEntryInvalidError(
      `decision log entry ${i} is invalid: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
    );
  return r.data;
}

/** The tamper-evident decision log: hash-chained Redis streams, one per partition, plus sealed segment files. */
export class DecisionLog {
  readonly opts: DecisionLogOptions;
  private readonly chains: ChainAppender;
  private readonly newId = entryIdFactory();

  constructor(deps: DecisionLogDeps) {
    this.opts = decisionLogOptions(deps);
    this.chains = new ChainAppender(this.opts, logScripts(deps.redis));
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
    const parsed = inputs.map((input, i) => this.stamp(input, i, opts.idempotencyKeys?.[i]));
    const groups = new Map<number, number[]>();
    parsed.forEach((p, i) => {
      const part = p.entry.partition;
      const group = groups.get(part);
      if (group) group.push(i);
      else groups.set(part, [i]);
    });
    const out: LogEntry[] = new Array<LogEntry>(parsed.length);
    const deadline = Date.now() + this.opts.timeoutMs;
    await Promise.all(
      [...groups].map(async ([part, idx]) => {
        for (let i = 0; i < idx.length; i += this.opts.maxScriptBatch) {
          const slice = idx.slice(i, i + this.opts.maxScriptBatch);
          const written = await this.chains.write(
            part,
            slice.map((j) => parsed[j]!),
            deadline,
          );
          slice.forEach((j, k) => (out[j] = written[k]!));
        }
      }),
    );
    return out;
  }

  // Validated and made into the entry object that is appended and returned, so a batch copies no entry.
  private stamp(input: LogEntryInput, i: number, idem: string | null | undefined): PendingEntry {
    const v = isValidEntryInput(input) ? input : parseInput(input, i);
    let at = v.at;
    let atMs: number;
    if (at === undefined) {
      const now = this.opts.now();
      at = now.toISOString();
      atMs = now.getTime();
    } else atMs = Date.parse(at);
    const id = v.id ?? this.newId(atMs);
    const entry = unchainedEntry(v, id, at, partitionOf(v.subjectRef, this.opts.partitions));
    return { entry, atMs, idem: idem ?? '' };
  }

  /** Hands every chain over to the current log key with a signed rotation entry; see decision-log-handover.ts. */
  handOver(actor: string): Promise<HandoverResult> {
    return handOverAll(this.opts, actor);
  }

  /** The fingerprint of the log key each chain is under (null for an empty chain); stamps heads that have none yet. */
  chainKeyIds(): Promise<(string | null)[]> {
    return chainKeyIds(this.opts);
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
}
