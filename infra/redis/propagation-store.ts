import type { Redis } from 'ioredis';
import type { SubjectRef } from '../../domain/ids.js';
import { PropagationRecord } from '../../domain/propagation.js';

/** Per-subject, per-change, per-processor propagation status (hash under the subject's hash tag). */
export class PropagationStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(ref: SubjectRef): string {
    return `${this.prefix}s:{${ref}}:propagation`;
  }

  /** Writes the status of one change at one processor (last write wins; attempts only grow). */
  async put(ref: SubjectRef, record: PropagationRecord): Promise<void> {
    await this.redis.hset(
      this.key(ref),
      `${record.changeId}|${record.processor}`,
      JSON.stringify(PropagationRecord.parse(record)),
    );
  }

  /** One record, if present. */
  async get(ref: SubjectRef, changeId: string, processor: string): Promise<PropagationRecord | undefined> {
    const raw = await this.redis.hget(this.key(ref), `${changeId}|${processor}`);
    return raw ? PropagationRecord.parse(JSON.parse(raw)) : undefined;
  }

  /** Every record of the subject, oldest change first. */
  async list(ref: SubjectRef): Promise<PropagationRecord[]> {
    const raw = await this.redis.hgetall(this.key(ref));
    return Object.values(raw)
      .map((v) => PropagationRecord.parse(JSON.parse(v)))
      .sort((a, b) => a.changeId.localeCompare(b.changeId) || a.processor.localeCompare(b.processor));
  }
}
