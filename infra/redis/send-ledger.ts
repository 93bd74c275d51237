import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { SubjectRef } from '../../domain/ids.js';
import type { RedisKeys } from './keys.js';
import { onOneNode } from './connect.js';
import { LedgerRecord, recordTtlMs } from './send-record.js';
import { CLAIM, LEASE_LIVE, PUT, SETTLE } from './send-ledger-scripts.js';

// The record itself (its schema, terminal outcomes and expiry) lives in send-record.ts.
export { LedgerRecord, TerminalOutcome, recordTtlMs, terminalFor } from './send-record.js';

/**
 * A reservation blocks a withdrawal's acknowledgement at most this long (a crashed sender's never clears), and is
 * its owning attempt's lease: no other attempt takes it over before then, and the owner sends only well inside it.
 */
export const RESERVATION_LEASE_MS = 30_000;
const INFLIGHT_TTL_MS = RESERVATION_LEASE_MS;

/** What a reservation attempt found. */
export type ReserveResult = 'ok' | 'missing' | 'busy' | 'epoch_moved' | 'capped';

/** A capped step's frequency-cap slot, taken by the claim: at most `max` sends on `channel` in `windowMs`. */
export interface CapSlot {
  readonly channel: string;
  readonly max: number;
  readonly windowMs: number;
  readonly nowMs: number;
}

/** The encrypted profile values a claim read: the subject store decrypts them. */
export interface SealedProfile {
  readonly erased: boolean;
  /** The wrapped data key; '' when the subject has none. */
  readonly wrapped: string;
  readonly values: ReadonlyArray<string | null>;
}

/** A claim: reserved with the released fields' sealed values, or why not. */
export type ClaimResult =
  { readonly status: 'ok'; readonly profile: SealedProfile } | { readonly status: Exclude<ReserveResult, 'ok'> };

const ClaimReply = z.union([
  z.tuple([z.enum(['missing', 'busy', 'epoch_moved', 'capped'])]),
  z.tuple([z.literal('ok'), z.number(), z.string(), z.array(z.string().nullable())]),
]);

type Scripted = Redis & {
  cfLedgerPut(
    key: string,
    capWindow: string,
    json: string,
    ttl: string,
    runId: string,
    capMember: string,
  ): Promise<number>;
  cfLedgerSettle(
    key: string,
    inflight: string,
    capWindow: string,
    json: string,
    ttl: string,
    owner: string,
    capMember: string,
  ): Promise<number>;
  cfLedgerClaim(...args: string[]): Promise<unknown>;
  cfLedgerClaimIndexed(...args: string[]): Promise<unknown>;
  cfLedgerLeaseLive(inflight: string, key: string): Promise<number>;
};

/** A key written with a reservation (an email's Message-ID index entry), its value and how long it is kept. */
export interface IndexEntry {
  readonly key: string;
  readonly value: string;
  readonly ttlSeconds: number;
}

/** Send records, in-flight reservations and frequency-cap windows, all under the subject's hash tag. */
export class SendLedger {
  private readonly redis: Scripted;
  /** Every key on one node (not a Redis Cluster): a script may then write keys of other slots too. */
  private readonly oneNode: boolean;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.oneNode = onOneNode(redis);
    const r = redis as unknown as Partial<Scripted>;
    if (typeof r.cfLedgerPut !== 'function') {
      redis.defineCommand('cfLedgerPut', { numberOfKeys: 2, lua: PUT });
      redis.defineCommand('cfLedgerSettle', { numberOfKeys: 3, lua: SETTLE });
      redis.defineCommand('cfLedgerClaim', { numberOfKeys: 7, lua: CLAIM });
      redis.defineCommand('cfLedgerClaimIndexed', { numberOfKeys: 8, lua: CLAIM });
      redis.defineCommand('cfLedgerLeaseLive', { numberOfKeys: 2, lua: LEASE_LIVE });
    }
    this.redis = redis as Scripted;
  }

  /** The key of one send's record, for a script that reads it together with other keys of the subject. */
  key(ref: SubjectRef, scope: string): string {
    return this.keys.sendLedger(ref, scope);
  }

  /** A record as read raw by such a script ('' or null: none). */
  static parse(raw: string | null): LedgerRecord | undefined {
    return raw ? LedgerRecord.parse(JSON.parse(raw)) : undefined;
  }

  /**
   * The records for many sends, in order, in one round trip: one MGET on one node; on a Redis Cluster, whose MGET
   * takes keys of one slot only, one GET per record, auto-pipelined per node.
   */
  async lookup(items: ReadonlyArray<{ ref: SubjectRef; scope: string }>): Promise<Array<LedgerRecord | undefined>> {
    if (items.length === 0) return [];
    const keys = items.map((i) => this.key(i.ref, i.scope));
    const raw = this.oneNode ? await this.redis.mget(keys) : await Promise.all(keys.map((k) => this.redis.get(k)));
    return raw.map((v) => SendLedger.parse(v));
  }

  /**
   * Which of these reservations are still under their owner's lease (auto-pipelined): an attempt that finds one
   * leaves it alone, since its owner may be sending it right now.
   */
  async leased(items: ReadonlyArray<{ ref: SubjectRef; scope: string }>): Promise<boolean[]> {
    const live = await Promise.all(
      items.map((i) => this.redis.cfLedgerLeaseLive(this.keys.inflight(i.ref), this.key(i.ref, i.scope))),
    );
    return live.map((v) => v === 1);
  }

  /**
   * Writes decided or closed records; false for each one another attempt of the same run already took further. Given
   * `capChannel` (a capped step), each closed record gives back the step's frequency-cap slot on it in the same script.
   */
  async put(
    scope: string,
    records: ReadonlyArray<readonly [SubjectRef, LedgerRecord]>,
    capChannel?: string,
  ): Promise<boolean[]> {
    const res = await Promise.all(
      records.map(([ref, rec]) => {
        const frees = capChannel !== undefined && rec.state === 'closed';
        return this.redis.cfLedgerPut(
          this.key(ref, scope),
          this.keys.frequencyWindow(ref, frees ? capChannel : 'none'),
          JSON.stringify(rec),
          String(recordTtlMs(rec)),
          rec.runId ?? '',
          frees ? scope : '',
        );
      }),
    );
    return res.map((r) => r === 1);
  }

  /** The key of the subject's frequency-cap window on `channel`, for a script that reads it with the guard state. */
  capKey(ref: SubjectRef, channel: string): string {
    return this.keys.frequencyWindow(ref, channel);
  }

  /**
   * Reserves a send against the decision's consent epoch and reads the released fields' sealed values, in one
   * round trip: `fresh` writes the decision's record too (it has none yet), otherwise `decided` must be current.
   * Given `cap`, the step's frequency-cap slot is taken too (idempotent per step), or the claim is `capped`. The
   * claim is made for `decided.owner` (the attempt); another attempt's reservation is `busy` while its lease lasts.
   * Given `index` (an email's Message-ID index entry), it is written before the claim returns: by the same script when
   * the send is reserved on one node, or beside it in the same flush on a Redis Cluster (another slot).
   */
  async claim(
    ref: SubjectRef,
    scope: string,
    decided: LedgerRecord,
    fresh: boolean,
    messageId: string,
    at: string,
    fields: readonly string[],
    cap?: CapSlot,
    index?: IndexEntry,
  ): Promise<ClaimResult> {
    const k = this.keys;
    const reserved: LedgerRecord = { ...decided, state: 'reserved', messageId, at };
    const keys = [
      this.key(ref, scope),
      k.epoch(ref),
      k.inflight(ref),
      k.erased(ref),
      k.dataKey(ref),
      k.profile(ref),
      k.frequencyWindow(ref, cap?.channel ?? 'none'),
    ];
    const capArgs = cap
      ? [String(cap.max), String(cap.nowMs - cap.windowMs), String(cap.nowMs), String(cap.windowMs), scope]
      : ['', '', '', '', ''];
    const args = [
      decided.runId ?? '',
      decided.decisionId,
      String(decided.epoch ?? 0),
      JSON.stringify(reserved),
      String(recordTtlMs(decided)),
      String(INFLIGHT_TTL_MS),
      fresh ? '1' : '0',
      JSON.stringify(decided),
      ...capArgs,
      decided.owner ?? '',
      ...(index && this.oneNode ? [index.value, String(index.ttlSeconds)] : ['', '']),
      ...fields,
    ];
    const [raw] = await Promise.all([
      index && this.oneNode
        ? this.redis.cfLedgerClaimIndexed(...keys, index.key, ...args)
        : this.redis.cfLedgerClaim(...keys, ...args),
      index && !this.oneNode
        ? (this.redis as unknown as Redis).set(index.key, index.value, 'EX', index.ttlSeconds)
        : undefined,
    ]);
    const reply = ClaimReply.parse(raw);
    if (reply[0] !== 'ok') return { status: reply[0] };
    return { status: 'ok', profile: { erased: reply[1] === 1, wrapped: reply[2], values: reply[3] } };
  }

  /**
   * Records the SMTP answer or a release (state decided again, after a 4xx) and clears the reservation, as the
   * attempt `rec.owner`; false, writing nothing, when that attempt was superseded (another one holds or sent it).
   * Given `returnCapOn` (a channel), the step's frequency-cap slot on it goes back in the same script, when applied.
   */
  async settle(ref: SubjectRef, scope: string, rec: LedgerRecord, returnCapOn?: string): Promise<boolean> {
    const applied = await this.redis.cfLedgerSettle(
      this.key(ref, scope),
      this.keys.inflight(ref),
      this.keys.frequencyWindow(ref, returnCapOn ?? 'none'),
      JSON.stringify(rec),
      String(recordTtlMs(rec)),
      rec.owner ?? '',
      returnCapOn === undefined ? '' : scope,
    );
    return applied === 1;
  }

  /** Marks terminal records as logged (auto-pipelined). */
  async markLogged(scope: string, records: ReadonlyMap<SubjectRef, LedgerRecord>): Promise<void> {
    await Promise.all(
      [...records].map(([ref, rec]) =>
        this.redis.set(this.key(ref, scope), JSON.stringify({ ...rec, logged: true }), 'PX', recordTtlMs(rec)),
      ),
    );
  }
}
