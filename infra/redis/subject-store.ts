import type { Redis } from 'ioredis';
import { SubjectRef } from '../../domain/ids.js';
import type { Suppression } from '../../domain/suppression.js';
import { type Envelope, decryptField, encryptField } from '../crypto/envelope.js';
import { addressHash, createPseudonymizer } from '../crypto/pseudonym.js';
import type { RedisKeys } from './keys.js';
import { ErasureMarker } from './erasure-marker.js';
import { type Admission, checkAdmission } from './subject-admission.js';

/** What the subject store needs; all injected. */
export interface SubjectStoreDeps {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly envelope: Envelope;
  readonly pseudonymKey: Buffer;
  /** Profile fields holding an address (indexed by keyed hash for suppression lookups). */
  readonly addressFields?: readonly string[];
}

/** One profile to write: the customer's subject id and plaintext field values. */
export interface SubjectRow {
  readonly subjectId: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** The outcome of writing one subject. */
export type UpsertResult =
  | { readonly status: 'written'; readonly ref: SubjectRef; readonly readmitted: boolean }
  | { readonly status: 'refused'; readonly ref: SubjectRef; readonly reason: 'erased_without_new_consent' };

/** The outcome of a minimal read. */
export type ReadResult =
  | { readonly status: 'found'; readonly fields: Readonly<Record<string, string>> }
  | { readonly status: 'not_found' }
  | { readonly status: 'erased' };

/** Encrypted subject profiles: per-subject data keys, minimal reads, crypto-shredding erasure. */
export class SubjectStore {
  readonly #d: SubjectStoreDeps;
  readonly #ref: (subjectId: string) => SubjectRef;
  readonly #addressFields: ReadonlySet<string>;

  constructor(deps: SubjectStoreDeps) {
    this.#d = deps;
    this.#ref = createPseudonymizer(deps.pseudonymKey);
    this.#addressFields = new Set(deps.addressFields ?? ['email', 'phone']);
  }

  /** The pseudonym of a subject id. */
  refOf(subjectId: string): SubjectRef {
    return this.#ref(subjectId);
  }

  /** The keyed hash of an address, as stored in the address index. */
  addressHashOf(address: string): string {
    return addressHash(this.#d.pseudonymKey, address);
  }

  /** Writes one subject; see `upsertMany`. */
  async upsert(subjectId: string, fields: Readonly<Record<string, string>>): Promise<UpsertResult> {
    const [r] = await this.upsertMany([{ subjectId, fields }]);
    return r!;
  }

  /**
   * Writes a batch in a fixed number of pipelined round trips: encrypts every field under the subject's data key
   * (created on first write), indexes refs and address hashes, and refuses erased subjects without new consent.
   */
  async upsertMany(rows: readonly SubjectRow[]): Promise<UpsertResult[]> {
    const { redis, keys, envelope } = this.#d;
    const state = await this.#readState(rows);
    const admissions = await checkAdmission(redis, keys, state);
    const admitted = state.flatMap((s, j) => (admissions[j]!.admit ? [{ ...s, readmit: (admissions[j] as { readmit: boolean }).readmit }] : []));
    // Readmitted subjects were shredded, so their old key (if any raced back) must not be reused.
    const needKey = admitted.filter((s) => s.wrapped === null || s.readmit);
    if (needKey.length) {
      const p = redis.pipeline();
      for (const s of needKey) {
        const candidate = envelope.wrap(envelope.newDataKey(), s.ref);
        if (s.readmit) p.set(keys.dataKey(s.ref), candidate, 'GET');
        else p.set(keys.dataKey(s.ref), candidate, 'NX', 'GET');
        s.wrapped = candidate;
      }
      const set = (await p.exec()) ?? [];
      needKey.forEach((s, j) => {
        const [err, previous] = set[j] ?? [];
        if (err) throw err;
        // SET NX GET returns the key another writer stored first; use theirs so nothing is encrypted twice.
        if (previous && !s.readmit) s.wrapped = previous as string;
      });
    }
    const write = redis.pipeline();
    for (const s of admitted) {
      const dek = envelope.unwrap(s.wrapped!, s.ref).dek;
      const enc = Object.entries(s.row.fields).flatMap(([f, v]) => [f, encryptField(dek, s.ref, f, v)]);
      if (s.readmit) write.del(keys.erased(s.ref)).hdel(keys.suppression(s.ref), 'erased').del(keys.profile(s.ref));
      if (enc.length) write.hset(keys.profile(s.ref), ...enc);
      if (s.hashes.length) {
        write.sadd(keys.addressHashes(s.ref), ...s.hashes);
        write.hset(keys.addressIndex(), ...s.hashes.flatMap((h) => [h, s.ref]));
      }
      write.sadd(keys.subjectIndex(), s.ref);
    }
    for (const [err] of (await write.exec()) ?? []) if (err) throw err;
    return state.map((s, j) => {
      const a = admissions[j]!;
      return a.admit ? { status: 'written', ref: s.ref, readmitted: a.readmit } : { status: 'refused', ref: s.ref, reason: a.reason };
    });
  }

  /** Whether each row would be admitted (read-only): lets a strict import refuse everything before writing. */
  async admissionOf(rows: readonly SubjectRow[]): Promise<Admission[]> {
    return checkAdmission(this.#d.redis, this.#d.keys, await this.#readState(rows));
  }

  async #readState(rows: readonly SubjectRow[]) {
    const { redis, keys } = this.#d;
    const prepared = rows.map((row) => {
      const ref = this.#ref(row.subjectId);
      const hashes = Object.entries(row.fields).filter(([f, v]) => this.#addressFields.has(f) && v.trim() !== '').map(([, v]) => this.addressHashOf(v));
      return { row, ref, hashes };
    });
    const read = redis.pipeline();
    for (const p of prepared) {
      read.get(keys.erased(p.ref));
      read.get(keys.dataKey(p.ref));
      if (p.hashes.length) read.hmget(keys.addressIndex(), ...p.hashes);
    }
    const res = (await read.exec()) ?? [];
    let i = 0;
    const next = () => {
      const [err, value] = res[i++] ?? [new Error('missing pipeline reply')];
      if (err) throw err;
      return value;
    };
    return prepared.map((p) => {
      const erased = ErasureMarker.fromRaw(next());
      const wrapped = next() as string | null;
      const addressRefs = p.hashes.length ? (next() as (string | null)[]).flatMap((r) => (r ? [SubjectRef.parse(r)] : [])) : [];
      return { ...p, erased, wrapped, addressRefs };
    });
  }

  /** Reads and decrypts ONLY the named fields (HMGET): minimisation happens here, not by filtering afterwards. */
  async readFields(ref: SubjectRef, fields: readonly string[]): Promise<ReadResult> {
    const { keys } = this.#d;
    const r = await this.#read(ref, (m) => (fields.length ? m.hmget(keys.profile(ref), ...fields) : m.echo('')));
    if (r.status !== 'found') return r;
    const values = fields.length ? (r.raw as (string | null)[]) : [];
    const out: Record<string, string> = {};
    fields.forEach((f, i) => {
      const v = values[i];
      if (v) out[f] = decryptField(r.dek, ref, f, v);
    });
    return { status: 'found', fields: out };
  }

  /** Reads every profile field: only for answering a data subject access request (GDPR 15, PIPL 45). */
  async readAllForAccessRequest(ref: SubjectRef): Promise<ReadResult> {
    const r = await this.#read(ref, (m) => m.hgetall(this.#d.keys.profile(ref)));
    if (r.status !== 'found') return r;
    const raw = r.raw as Record<string, string>;
    return { status: 'found', fields: Object.fromEntries(Object.entries(raw).map(([f, v]) => [f, decryptField(r.dek, ref, f, v)])) };
  }

  async #read(ref: SubjectRef, cmd: (m: ReturnType<Redis['multi']>) => unknown) {
    const { redis, keys, envelope } = this.#d;
    const m = redis.multi().get(keys.erased(ref)).get(keys.dataKey(ref));
    cmd(m);
    const res = (await m.exec()) ?? [];
    for (const [err] of res) if (err) throw err;
    if (res[0]?.[1] !== null) return { status: 'erased' } as const;
    const wrapped = res[1]?.[1] as string | null;
    if (!wrapped) return { status: 'not_found' } as const;
    return { status: 'found', dek: envelope.unwrap(wrapped, ref).dek, raw: res[2]?.[1] } as const;
  }

  /**
   * Erases a subject: destroys its data key (crypto-shredding) and profile, leaves a tombstone and an `erased`
   * suppression, and keeps the address hashes so the person is never re-mailed. Consent events stay as proof.
   */
  async erase(ref: SubjectRef, source: string, now: Date = new Date()): Promise<{ readonly alreadyErased: boolean }> {
    const { redis, keys } = this.#d;
    const at = now.toISOString();
    const suppression: Suppression = { kind: 'erased', at, source };
    const marker: ErasureMarker = { at, source };
    // One MULTI over the subject's hash-tagged keys: the shred and the tombstone land together or not at all.
    const res = (await redis
      .multi()
      .set(keys.erased(ref), JSON.stringify(marker), 'NX')
      .del(keys.dataKey(ref), keys.profile(ref))
      .hset(keys.suppression(ref), 'erased', JSON.stringify(suppression))
      .exec()) ?? [];
    for (const [err] of res) if (err) throw err;
    await redis.srem(keys.subjectIndex(), ref);
    return { alreadyErased: res[0]?.[1] === null };
  }

  /** Whether the subject carries the erasure tombstone. */
  async isErased(ref: SubjectRef): Promise<boolean> {
    return (await this.#d.redis.exists(this.#d.keys.erased(ref))) === 1;
  }

  /** One page of known subject refs (SSCAN), for segment fan-out; `cursor` '0' starts and ends a scan. */
  async pageSubjects(cursor: string, count: number): Promise<{ readonly cursor: string; readonly refs: SubjectRef[] }> {
    const [next, refs] = await this.#d.redis.sscan(this.#d.keys.subjectIndex(), cursor, 'COUNT', count);
    return { cursor: next, refs: refs.map((r) => SubjectRef.parse(r)) };
  }

  /** Re-wraps the subject's data key under the current master key (master-key rotation); compare-and-set safe. */
  async rewrapDataKey(ref: SubjectRef): Promise<'rewrapped' | 'current' | 'missing'> {
    const { redis, keys, envelope } = this.#d;
    const key = keys.dataKey(ref);
    const wrapped = await redis.get(key);
    if (!wrapped) return 'missing';
    const next = envelope.rewrap(wrapped, ref);
    if (next === wrapped) return 'current';
    const swapped = await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2]) end return false", 1, key, wrapped, next);
    return swapped ? 'rewrapped' : 'current';
  }
}
