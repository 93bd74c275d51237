import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { SubjectRef } from '../../domain/ids.js';
import type { RedisKeys } from './keys.js';

/** Where one (journey, step, subject) send stands: the reserve → send → commit record. */
export const LedgerRecord = z.object({
  state: z.enum(['reserved', 'committed']),
  at: z.string(),
  decisionId: z.string(),
  messageId: z.string(),
  outcome: z.enum(['sent', 'failed']).optional(),
  smtpCode: z.number().int().optional(),
  logged: z.boolean().default(false),
});
export type LedgerRecord = z.infer<typeof LedgerRecord>;

// Frequency cap: drop entries older than the window, then take a slot only while under the cap. Atomic, so two
// campaigns racing for the same person cannot both squeeze in.
const CAP_LUA = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

/** Idempotency records, frequency-cap windows and campaign counters, all per subject hash tag. */
export class SendLedger {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  private key(ref: SubjectRef, scope: string): string {
    return this.keys.sendLedger(ref, scope);
  }

  /** The records for many sends, in order (one pipelined round trip). */
  async lookup(items: ReadonlyArray<{ ref: SubjectRef; scope: string }>): Promise<Array<LedgerRecord | undefined>> {
    if (items.length === 0) return [];
    const p = this.redis.pipeline();
    for (const i of items) p.get(this.key(i.ref, i.scope));
    const res = (await p.exec()) ?? [];
    return res.map(([err, v]) => {
      if (err) throw err;
      if (typeof v !== 'string') return undefined;
      return LedgerRecord.parse(JSON.parse(v));
    });
  }

  /** Reserves a send; false when a record already exists (a retry after a crash). */
  async reserve(ref: SubjectRef, scope: string, rec: Omit<LedgerRecord, 'state' | 'logged'>): Promise<boolean> {
    const ok = await this.redis.set(this.key(ref, scope), JSON.stringify({ ...rec, state: 'reserved', logged: false }), 'PX', 90 * 86_400_000, 'NX');
    return ok === 'OK';
  }

  /** Records the SMTP server's answer, so a retry never sends again. */
  async commit(ref: SubjectRef, scope: string, rec: LedgerRecord): Promise<void> {
    await this.redis.set(this.key(ref, scope), JSON.stringify({ ...rec, state: 'committed' }), 'PX', 90 * 86_400_000);
  }

  /** Marks committed sends as logged, in one pipelined round trip. */
  async markLogged(scope: string, records: ReadonlyMap<SubjectRef, LedgerRecord>): Promise<void> {
    if (records.size === 0) return;
    const p = this.redis.pipeline();
    for (const [ref, rec] of records) p.set(this.key(ref, scope), JSON.stringify({ ...rec, logged: true }), 'PX', 90 * 86_400_000);
    await p.exec();
  }

  /** Drops a reservation after a definite, retryable refusal (nothing was accepted). */
  async release(ref: SubjectRef, scope: string): Promise<void> {
    await this.redis.del(this.key(ref, scope));
  }

  /** Takes a frequency-cap slot for `member` if the subject is under `max` sends in `windowMs`; idempotent per member. */
  async takeCapSlot(ref: SubjectRef, channel: string, member: string, max: number, windowMs: number, nowMs: number): Promise<boolean> {
    const r = await this.redis.eval(CAP_LUA, 1, this.keys.frequencyWindow(ref, channel), String(nowMs - windowMs), String(nowMs), String(max), member, String(windowMs));
    return r === 1;
  }

  /** Gives a cap slot back when the send it was taken for did not happen. */
  async returnCapSlot(ref: SubjectRef, channel: string, member: string): Promise<void> {
    await this.redis.zrem(this.keys.frequencyWindow(ref, channel), member);
  }

  /** Adds to a campaign's outcome counters (sent, denied:<reason>, failed, duplicate). */
  async count(campaignId: string, counts: Readonly<Record<string, number>>): Promise<void> {
    const entries = Object.entries(counts).filter(([, n]) => n > 0);
    if (entries.length === 0) return;
    const p = this.redis.pipeline();
    for (const [k, n] of entries) p.hincrby(this.keys.campaignStats(campaignId), k, n);
    await p.exec();
  }

  /** A campaign's counters. */
  async stats(campaignId: string): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(this.keys.campaignStats(campaignId));
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }
}
