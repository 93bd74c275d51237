import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { SubjectRef } from '../../domain/ids.js';
import type { RedisKeys } from './keys.js';

/** A terminal outcome of one audience member on one step of a run (enrolled and completed: journey campaigns). */
export const TerminalOutcome = z.enum([
  'sent',
  'failed',
  'denied',
  'held_out',
  'not_eligible',
  'exited',
  'enrolled',
  'completed',
]);
export type TerminalOutcome = z.infer<typeof TerminalOutcome>;

/**
 * Where one (workflow, step, subject) stands: decided → reserved → committed, or closed without a send. The
 * record names the run that owns it and the decision of record, so a retry reuses that decision instead of logging
 * a second one, and reconciliation counts outcomes from here rather than from workflow memory.
 */
export const LedgerRecord = z.object({
  runId: z.string().optional(),
  state: z.enum(['decided', 'reserved', 'committed', 'closed']),
  at: z.string(),
  /** The log entry of record: the decision, or the outcome entry of a member that was never decided. */
  decisionId: z.string(),
  decision: z.enum(['allow', 'deny']).optional(),
  /** Decision entries this run logged for the step (more than one only after an explicit re-decision). */
  decisions: z.number().int().min(0).default(1),
  /** The consent epoch the decision was made at; a reservation needs it unchanged. */
  epoch: z.number().int().min(0).optional(),
  /**
   * What an allow released (the decision of record's fields, the channel's address field among them): a resumed
   * send reads exactly these, whatever the policy says now. Records written before they were kept have neither.
   */
  fieldsReleased: z.array(z.string()).optional(),
  addressField: z.string().optional(),
  messageId: z.string().optional(),
  outcome: TerminalOutcome.optional(),
  smtpCode: z.number().int().optional(),
  reasons: z.array(z.string()).default([]),
  /**
   * Whether the terminal entry is known to be in the log. A delivery outcome leaves it false (no write after the
   * append): a retry re-appends it under its idempotency key, which hands back the stored entry.
   */
  logged: z.boolean().default(false),
  /** Transient refusals so far (4xx) and when the next attempt is due (ms). */
  deferrals: z.number().int().min(0).default(0),
  nextAttemptAt: z.number().optional(),
  /** An earlier run of the same workflow already delivered this step to the subject. */
  sentBefore: z.boolean().default(false),
});
export type LedgerRecord = z.infer<typeof LedgerRecord>;

/** Whether a record is terminal for `runId`, and with which outcome. */
export function terminalFor(rec: LedgerRecord | undefined, runId: string): TerminalOutcome | undefined {
  if (!rec || rec.runId !== runId || (rec.state !== 'committed' && rec.state !== 'closed')) return undefined;
  return rec.outcome;
}

/** Records are kept this long: longer than any run and its retries, short enough not to pile up. */
const RECORD_TTL_MS = 90 * 86_400_000;
/** A reservation blocks a withdrawal's acknowledgement at most this long (a crashed sender's never clears). */
const INFLIGHT_TTL_MS = 30_000;

// Writes a decided or closed record unless this run already reserved, sent or closed it (another attempt owns it).
const PUT = `
local raw = redis.call('GET', KEYS[1])
if raw then
  local cur = cjson.decode(raw)
  if cur.runId == ARGV[3] and (cur.state == 'reserved' or cur.state == 'committed' or cur.state == 'closed') then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

// Reserves a send and reads what it needs in the same round trip. A fresh decision writes its record here (no
// separate write before): refused only if this run already reserved, sent or closed it. A resumed one needs this
// run's decided or reserved record with the same decision. Either way the subject's consent epoch must still be the
// one the decision saw, so a withdrawal committed before this point means no send; on a moved epoch a fresh
// decision leaves its decided record, which the caller closes as a re-decision. Then the erasure tombstone, the
// wrapped data key and only the released profile fields are read (minimisation at the data layer). A capped step
// takes its frequency-cap slot here, atomically with the reservation, so two campaigns racing for the same person
// cannot both squeeze in; a window that filled since the decision means no send, like a moved epoch.
// KEYS: record, epoch, inflight, erased, data key, profile, cap window. ARGV: runId, decisionId, epoch, reserved
// json, record ttl, in-flight ttl, '1' if fresh, decided json, cap max ('' uncapped), window start, now, window ms,
// slot name, then the released field names.
const CLAIM = `
local raw = redis.call('GET', KEYS[1])
local fresh = ARGV[7] == '1'
if raw then
  local cur = cjson.decode(raw)
  if fresh then
    if cur.runId == ARGV[1] and (cur.state == 'reserved' or cur.state == 'committed' or cur.state == 'closed') then return {'busy'} end
  elseif cur.runId ~= ARGV[1] or (cur.state ~= 'decided' and cur.state ~= 'reserved') or cur.decisionId ~= ARGV[2] then
    return {'busy'}
  end
elseif not fresh then
  return {'missing'}
end
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[3] then
  if fresh then redis.call('SET', KEYS[1], ARGV[8], 'PX', ARGV[5]) end
  return {'epoch_moved'}
end
if ARGV[9] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', ARGV[10])
  if not redis.call('ZSCORE', KEYS[7], ARGV[13]) then
    if redis.call('ZCARD', KEYS[7]) >= tonumber(ARGV[9]) then
      if fresh then redis.call('SET', KEYS[1], ARGV[8], 'PX', ARGV[5]) end
      return {'capped'}
    end
    redis.call('ZADD', KEYS[7], ARGV[11], ARGV[13])
    redis.call('PEXPIRE', KEYS[7], ARGV[12])
  end
end
redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
local t = redis.call('TIME')
redis.call('ZADD', KEYS[3], tonumber(t[1]) * 1000 + tonumber(ARGV[6]), KEYS[1])
redis.call('PEXPIRE', KEYS[3], ARGV[6])
local values = {}
if #ARGV > 13 then values = redis.call('HMGET', KEYS[6], unpack(ARGV, 14)) end
return {'ok', redis.call('EXISTS', KEYS[4]), redis.call('GET', KEYS[5]) or '', values}`;

// Records the SMTP server's answer (or a release after a 4xx) and clears the in-flight reservation.
const SETTLE = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZREM', KEYS[2], KEYS[1])
return 1`;

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
  cfLedgerPut(key: string, json: string, ttl: string, runId: string): Promise<number>;
  cfLedgerSettle(key: string, inflight: string, json: string, ttl: string): Promise<number>;
  cfLedgerClaim(...args: string[]): Promise<unknown>;
};

/** Send records, in-flight reservations and frequency-cap windows, all under the subject's hash tag. */
export class SendLedger {
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    const r = redis as unknown as Partial<Scripted>;
    if (typeof r.cfLedgerPut !== 'function') {
      redis.defineCommand('cfLedgerPut', { numberOfKeys: 1, lua: PUT });
      redis.defineCommand('cfLedgerSettle', { numberOfKeys: 2, lua: SETTLE });
      redis.defineCommand('cfLedgerClaim', { numberOfKeys: 7, lua: CLAIM });
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

  /** The records for many sends, in order (auto-pipelined into one round trip). */
  async lookup(items: ReadonlyArray<{ ref: SubjectRef; scope: string }>): Promise<Array<LedgerRecord | undefined>> {
    const raw = await Promise.all(items.map((i) => this.redis.get(this.key(i.ref, i.scope))));
    return raw.map((v) => SendLedger.parse(v));
  }

  /** Writes decided or closed records; false for each one another attempt of the same run already took further. */
  async put(scope: string, records: ReadonlyArray<readonly [SubjectRef, LedgerRecord]>): Promise<boolean[]> {
    const res = await Promise.all(
      records.map(([ref, rec]) =>
        this.redis.cfLedgerPut(this.key(ref, scope), JSON.stringify(rec), String(RECORD_TTL_MS), rec.runId ?? ''),
      ),
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
   * Given `cap`, the step's frequency-cap slot is taken too (idempotent per step), or the claim is `capped`.
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
      String(RECORD_TTL_MS),
      String(INFLIGHT_TTL_MS),
      fresh ? '1' : '0',
      JSON.stringify(decided),
      ...capArgs,
      ...fields,
    ];
    const reply = ClaimReply.parse(await this.redis.cfLedgerClaim(...keys, ...args));
    if (reply[0] !== 'ok') return { status: reply[0] };
    return { status: 'ok', profile: { erased: reply[1] === 1, wrapped: reply[2], values: reply[3] } };
  }

  /** Records the SMTP answer or a release (state decided again, after a 4xx) and clears the reservation. */
  async settle(ref: SubjectRef, scope: string, rec: LedgerRecord): Promise<void> {
    await this.redis.cfLedgerSettle(
      this.key(ref, scope),
      this.keys.inflight(ref),
      JSON.stringify(rec),
      String(RECORD_TTL_MS),
    );
  }

  /** Marks terminal records as logged (auto-pipelined). */
  async markLogged(scope: string, records: ReadonlyMap<SubjectRef, LedgerRecord>): Promise<void> {
    await Promise.all(
      [...records].map(([ref, rec]) =>
        this.redis.set(this.key(ref, scope), JSON.stringify({ ...rec, logged: true }), 'PX', RECORD_TTL_MS),
      ),
    );
  }

  /** Gives a cap slot back when the send it was taken for did not happen. */
  async returnCapSlot(ref: SubjectRef, channel: string, member: string): Promise<void> {
    await this.redis.zrem(this.keys.frequencyWindow(ref, channel), member);
  }
}
