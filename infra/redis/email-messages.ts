import type { Redis } from 'ioredis';
import { SentMessageRecord } from './sent-message.js';
import type { RedisKeys } from './keys.js';
import type { IndexEntry } from './send-ledger.js';

/**
 * Feedback loops report within days of the send; a month covers the slow ones. Each record is a few hundred bytes,
 * the size of the send-ledger record the same message already keeps for 90 days.
 */
const TTL_SECONDS = 30 * 24 * 3600;
/** A complaint marker outlives its message record, so a report repeated late is still one complaint. */
const COMPLAINT_TTL_SECONDS = 2 * TTL_SECONDS;

// Our Message-IDs are `<hex@domain>`; the key holds what is between the brackets, lower-cased.
const keyPart = (messageId: string): string => messageId.trim().replace(/^<|>$/g, '').toLowerCase();

/** Email Message-IDs → the send they belong to, for matching complaints; and which ones were complained about. */
export class EmailMessages {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Remembers the send of a Message-ID; written before the message is handed to SMTP. */
  async remember(messageId: string, rec: SentMessageRecord): Promise<void> {
    const e = this.entry(messageId, rec);
    await this.redis.set(e.key, e.value, 'EX', e.ttlSeconds);
  }

  /** The index entry `remember` writes, for a caller that writes it with the send's reservation. */
  entry(messageId: string, rec: SentMessageRecord): IndexEntry {
    return {
      key: this.keys.emailMessage(keyPart(messageId)),
      value: JSON.stringify(SentMessageRecord.parse(rec)),
      ttlSeconds: TTL_SECONDS,
    };
  }

  /** The send a Message-ID belongs to, or undefined for one this deployment never sent (or forgot). */
  async find(messageId: string): Promise<SentMessageRecord | undefined> {
    const raw = await this.redis.get(this.keys.emailMessage(keyPart(messageId)));
    if (raw === null) return undefined;
    try {
      const r = SentMessageRecord.safeParse(JSON.parse(raw));
      return r.success ? r.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Whether a complaint about this Message-ID was already recorded. */
  async complained(messageId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.emailComplaint(keyPart(messageId)))) === 1;
  }

  /** Marks the Message-ID as complained about, once its complaint is in the log. */
  async markComplained(messageId: string, entryId: string): Promise<void> {
    await this.redis.set(this.keys.emailComplaint(keyPart(messageId)), entryId, 'EX', COMPLAINT_TTL_SECONDS);
  }
}
