import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { SubjectRef } from '../../domain/ids.js';
import { SubjectRequestRecord } from '../../domain/subject-request.js';

const Staged = z.strictObject({ subjectId: z.string().min(1), fields: z.record(z.string(), z.string()) });
/** Corrections waiting for their workflow: the subject id (to re-derive the ref) and the new values. */
export type StagedCorrections = z.infer<typeof Staged>;
const STAGE_TTL_S = 90 * 86_400;

/** Data subject request records, staged corrections (encrypted) and the subject's audit trail (no values). */
export class SubjectRequestStore {
  readonly #stageKey: Buffer;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    masterKey: Buffer,
  ) {
    // A key of its own, derived from the master key: staged corrections are personal data at rest.
    this.#stageKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'consentflow/dsar-stage/v1', 32));
  }

  /** Hash of requestId → record: the review reads it to count open and overdue requests. */
  get requestsKey(): string {
    return `${this.prefix}dsar:requests`;
  }

  /** Saves a request's status record. */
  async put(record: SubjectRequestRecord): Promise<void> {
    await this.redis.hset(this.requestsKey, record.requestId, JSON.stringify(SubjectRequestRecord.parse(record)));
  }

  /** One request's status, if known. */
  async get(requestId: string): Promise<SubjectRequestRecord | undefined> {
    const raw = await this.redis.hget(this.requestsKey, requestId);
    return raw ? SubjectRequestRecord.parse(JSON.parse(raw)) : undefined;
  }

  /** Every request record. */
  async list(): Promise<SubjectRequestRecord[]> {
    return Object.values(await this.redis.hgetall(this.requestsKey)).map((v) =>
      SubjectRequestRecord.parse(JSON.parse(v)),
    );
  }

  /** Stages validated corrections for the workflow, encrypted, so the values never enter Temporal history. */
  async stageCorrections(requestId: string, staged: StagedCorrections): Promise<void> {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#stageKey, iv).setAAD(Buffer.from(requestId));
    const ct = Buffer.concat([c.update(JSON.stringify(staged), 'utf8'), c.final()]);
    const blob = Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
    await this.redis.set(`${this.prefix}dsar:{${requestId}}:corrections`, blob, 'EX', STAGE_TTL_S);
  }

  /** The staged corrections, or undefined when none (or already applied and dropped). */
  async stagedCorrections(requestId: string): Promise<StagedCorrections | undefined> {
    const blob = await this.redis.get(`${this.prefix}dsar:{${requestId}}:corrections`);
    if (!blob) return undefined;
    const b = Buffer.from(blob, 'base64');
    const d = createDecipheriv('aes-256-gcm', this.#stageKey, b.subarray(0, 12)).setAAD(Buffer.from(requestId));
    d.setAuthTag(b.subarray(12, 28));
    const plain = Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
    return Staged.parse(JSON.parse(plain));
  }

  /** Drops staged corrections once applied: no copy of the values outlives the request. */
  async dropCorrections(requestId: string): Promise<void> {
    await this.redis.del(`${this.prefix}dsar:{${requestId}}:corrections`);
  }

  /** Notes that an access bundle of the subject is on disk, so erasure can find and delete it. */
  async trackBundle(ref: SubjectRef, bundleId: string): Promise<void> {
    await this.redis.sadd(`${this.prefix}s:{${ref}}:bundles`, bundleId);
  }

  /** The subject's access bundles still on disk. */
  async bundlesOf(ref: SubjectRef): Promise<string[]> {
    return (await this.redis.smembers(`${this.prefix}s:{${ref}}:bundles`)).sort();
  }

  /** Forgets a deleted bundle. */
  async untrackBundle(ref: SubjectRef, bundleId: string): Promise<void> {
    await this.redis.srem(`${this.prefix}s:{${ref}}:bundles`, bundleId);
  }

  /** Appends to the subject's audit trail: action and field names, never values. */
  async audit(
    ref: SubjectRef,
    entry: { action: string; requestId: string; fields?: readonly string[]; at: string },
  ): Promise<void> {
    await this.redis.xadd(
      `${this.prefix}s:{${ref}}:audit`,
      '*',
      'action',
      entry.action,
      'requestId',
      entry.requestId,
      'fields',
      (entry.fields ?? []).join(','),
      'at',
      entry.at,
    );
  }

  /** The subject's audit trail, oldest first. */
  async auditTrail(ref: SubjectRef): Promise<{ action: string; requestId: string; fields: string[]; at: string }[]> {
    const rows = await this.redis.xrange(`${this.prefix}s:{${ref}}:audit`, '-', '+');
    return rows.map(([, f]) => {
      const m = new Map<string, string>();
      for (let i = 0; i < f.length; i += 2) m.set(f[i]!, f[i + 1]!);
      return {
        action: m.get('action') ?? '',
        requestId: m.get('requestId') ?? '',
        fields: (m.get('fields') ?? '').split(',').filter(Boolean),
        at: m.get('at') ?? '',
      };
    });
  }
}
