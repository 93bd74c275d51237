import type { Redis } from 'ioredis';
import { SentMessageRecord } from './sent-message.js';
import type { RedisKeys } from './keys.js';

/** The send an SMSC message id belongs to: pseudonymous, like every log entry. */
export const SmsMessageRecord = SentMessageRecord;
export type SmsMessageRecord = SentMessageRecord;

// Receipts come within hours; an SMSC gives up on a message after its validity period (at most days).
const TTL_SECONDS = 7 * 24 * 3600;

/** SMSC message ids → the send they belong to, for logging delivery receipts. */
export class SmsMessages {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Remembers every part's id; written before any receipt for them is handled. */
  async remember(ids: readonly string[], rec: SmsMessageRecord): Promise<void> {
    const json = JSON.stringify(SmsMessageRecord.parse(rec));
    await Promise.all(ids.map((id) => this.redis.set(this.keys.smsMessage(id), json, 'EX', TTL_SECONDS)));
  }

  /** The send a receipt's message id belongs to, or undefined for an id this deployment never submitted. */
  async find(id: string): Promise<SmsMessageRecord | undefined> {
    const raw = await this.redis.get(this.keys.smsMessage(id));
    if (raw === null) return undefined;
    const r = SmsMessageRecord.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  }
}
