import type { Redis } from 'ioredis';
import { SubjectRef } from '../../domain/ids.js';
import type { Suppression } from '../../domain/suppression.js';
import { type Envelope, decryptField, encryptField } from '../crypto/envelope.js';
import { addressHash, createPseudonymizer } from '../crypto/pseudonym.js';
import type { RedisKeys } from './keys.js';
import type { SealedProfile } from './send-ledger.js';
import { ErasureMarker } from './erasure-marker.js';
import { onOneNode } from './connect.js';
import { awaitInflightSends } from './inflight.js';
import { type Admission, checkAdmission } from './subject-admission.js';
import { defineSubjectScripts, profileWrite, subjectRead, subjectReadMany } from './subject-scripts.js';

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
    defineSubjectScripts(deps.redis);
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
   * Writes a batch in two pipelined round trips (plus one if an erasure is involved): encrypts every field under the
   * subject's data key (created on first write), indexes refs and address hashes, and refuses erased subjects without
   * new consent. The data key is compare-and-set with the profile, so concurrent writers never use two keys.
   */
  async upsertMany(rows: readonly SubjectRow[], attempt = 1): Promise<UpsertResult[]> {
    const { redis, keys, envelope } = this.#d;
    const state = await this.#readState(rows);
    const admissions = await checkAdmission(redis, keys, state);
    const chosen = new Map<SubjectRef, { wrapped: string; dek: Buffer }>();
    // Commands go out together and in order (a repeated subject's rows share one slot, so one connection).
    const writes: Array<Promise<boolean>> = [];
    const queued: number[] = [];
    state.forEach((s, j) => {
      const a = admissions[j]!;
      if (!a.admit) return;
      // A repeated subject in one batch continues from the key the earlier row set, not from the stale read.
      const earlier = chosen.get(s.ref);
      const expectedKey = earlier?.wrapped ?? s.wrapped ?? '';
      const key =
        earlier ??
        (s.wrapped && !a.readmit
          ? { wrapped: s.wrapped, dek: envelope.unwrap(s.wrapped, s.ref).dek }
          : this.#newKey(s.ref));
      chosen.set(s.ref, key);
      const encryptedFields = Object.entries(s.row.fields).flatMap(([f, v]) => [f, encryptField(key.dek, s.ref, f, v)]);
      const k = {
        dataKey: keys.dataKey(s.ref),
        profile: keys.profile(s.ref),
        erased: keys.erased(s.ref),
        suppression: keys.suppression(s.ref),
        addressHashes: keys.addressHashes(s.ref),
        epoch: keys.epoch(s.ref),
        flags: keys.flags(s.ref),
      };
      const birthYear = s.row.fields['birth_year'] ?? '';
      const applied = profileWrite(redis, k, {
        expectedKey,
        wrappedKey: key.wrapped,
        readmit: a.readmit && !earlier,
        encryptedFields,
        addressHashes: s.hashes,
        birthYear,
      });
      const index = [
        s.hashes.length ? redis.hset(keys.addressIndex(), ...s.hashes.flatMap((h) => [h, s.ref])) : 0,
        redis.sadd(keys.subjectIndex(), s.ref),
      ];
      writes.push(Promise.all([applied, ...index]).then(([r]) => r === 1));
      queued.push(j);
    });
    const res = await Promise.all(writes);
    const results: UpsertResult[] = state.map((s, j) => {
      const a = admissions[j]!;
      return a.admit
        ? { status: 'written', ref: s.ref, readmitted: a.readmit }
        : { status: 'refused', ref: s.ref, reason: a.reason };
    });
    // A script that did not apply means a concurrent writer or an erasure won.
    const conflicts = queued.filter((_, i) => !res[i]);
    if (conflicts.length) {
      if (attempt >= 5)
        throw new Error(`profile writes kept conflicting for ${conflicts.length} subject(s); retry the import`);
      const retried = await this.upsertMany(
        conflicts.map((j) => rows[j]!),
        attempt + 1,
      );
      conflicts.forEach((j, i) => (results[j] = retried[i]!));
      const refused = retried.filter((r) => r.status === 'refused').map((r) => r.ref);
      if (refused.length) await redis.srem(keys.subjectIndex(), ...refused);
    }
    return results;
  }

  #newKey(ref: SubjectRef): { wrapped: string; dek: Buffer } {
    const dek = this.#d.envelope.newDataKey();
    return { wrapped: this.#d.envelope.wrap(dek, ref), dek };
  }

  /** Whether each row would be admitted (read-only): lets a strict import refuse everything before writing. */
  async admissionOf(rows: readonly SubjectRow[]): Promise<Admission[]> {
    return checkAdmission(this.#d.redis, this.#d.keys, await this.#readState(rows));
  }

  async #readState(rows: readonly SubjectRow[]) {
    const { redis, keys } = this.#d;
    const prepared = rows.map((row) => {
      const ref = this.#ref(row.subjectId);
      const hashes = Object.entries(row.fields)
        .filter(([f, v]) => this.#addressFields.has(f) && v.trim() !== '')
        .map(([, v]) => this.addressHashOf(v));
      return { row, ref, hashes };
    });
    const read = await Promise.all(
      prepared.map((p) =>
        Promise.all([
          redis.get(keys.erased(p.ref)),
          redis.get(keys.dataKey(p.ref)),
          p.hashes.length ? redis.hmget(keys.addressIndex(), ...p.hashes) : Promise.resolve([]),
        ]),
      ),
    );
    return prepared.map((p, i) => {
      const [erasedRaw, wrapped, refs] = read[i]!;
      const addressRefs = refs.flatMap((r) => (r ? [SubjectRef.parse(r)] : []));
      return { ...p, erased: ErasureMarker.fromRaw(erasedRaw), wrapped, addressRefs };
    });
  }

  /** Reads and decrypts ONLY the named fields (HMGET): minimisation happens here, not by filtering afterwards. */
  async readFields(ref: SubjectRef, fields: readonly string[]): Promise<ReadResult> {
    const { redis, keys } = this.#d;
    const k = { erased: keys.erased(ref), dataKey: keys.dataKey(ref), profile: keys.profile(ref) };
    return this.openFields(ref, fields, await subjectRead(redis, k, fields));
  }

  /**
   * `readFields` for a page of subjects in one round trip: one script for the page on one node; on a Redis Cluster
   * (the subjects' keys are in many slots) one script per subject, auto-pipelined per node.
   */
  async readFieldsMany(refs: readonly SubjectRef[], fields: readonly string[]): Promise<ReadResult[]> {
    const { redis, keys } = this.#d;
    if (!onOneNode(redis)) return Promise.all(refs.map((ref) => this.readFields(ref, fields)));
    const k = refs.flatMap((ref) => [keys.erased(ref), keys.dataKey(ref), keys.profile(ref)]);
    const sealed = await subjectReadMany(redis, k, fields);
    if (sealed.length !== refs.length) throw new Error(`read ${sealed.length} profiles for ${refs.length} subjects`);
    return sealed.map((profile, i) => this.openFields(refs[i]!, fields, profile));
  }

  /** Decrypts the named fields that another script read together with the tombstone and the wrapped data key. */
  openFields(ref: SubjectRef, fields: readonly string[], sealed: SealedProfile): ReadResult {
    if (sealed.erased) return { status: 'erased' };
    if (!sealed.wrapped) return { status: 'not_found' };
    const { dek } = this.#d.envelope.unwrap(sealed.wrapped, ref);
    return { status: 'found', fields: this.#decrypt(ref, dek, fields, sealed.values) };
  }

  #decrypt(
    ref: SubjectRef,
    dek: Buffer,
    fields: readonly string[],
    values: ReadonlyArray<string | null>,
  ): Record<string, string> {
    const out: Record<string, string> = {};
    fields.forEach((f, i) => {
      const v = values[i];
      if (v) out[f] = decryptField(dek, ref, f, v);
    });
    return out;
  }

  /** Reads every profile field: only for answering a data subject access request (GDPR 15, PIPL 45). */
  async readAllForAccessRequest(ref: SubjectRef): Promise<ReadResult> {
    const r = await this.#read(ref, (m) => m.hgetall(this.#d.keys.profile(ref)));
    if (r.status !== 'found') return r;
    const raw = r.raw as Record<string, string>;
    return {
      status: 'found',
      fields: Object.fromEntries(Object.entries(raw).map(([f, v]) => [f, decryptField(r.dek, ref, f, v)])),
    };
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
    const res =
      (await redis
        .multi()
        .set(keys.erased(ref), JSON.stringify(marker), 'NX')
        .del(keys.dataKey(ref), keys.profile(ref))
        .hdel(keys.flags(ref), 'birth_year')
        .hset(keys.suppression(ref), 'erased', JSON.stringify(suppression))
        .incr(keys.epoch(ref))
        .exec()) ?? [];
    for (const [err] of res) if (err) throw err;
    // Acknowledge the erasure only after sends reserved before it were answered.
    await awaitInflightSends(redis, keys.inflight(ref), 30_000);
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
    const swapped = await redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2]) end return false",
      1,
      key,
      wrapped,
      next,
    );
    return swapped ? 'rewrapped' : 'current';
  }
}
