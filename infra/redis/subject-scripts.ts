import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { SealedProfile } from './send-ledger.js';

// Compare-and-set on the data key plus the profile write, over one subject's hash-tagged keys. A conflict (another
// writer created the key first, or an erasure shredded it meanwhile) returns 0 and writes nothing; the caller
// re-reads and retries. Readmission (new consent after erasure) clears the tombstone in the same step.
const PROFILE_WRITE = `#!lua
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return 0 end
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[3], KEYS[2])
  redis.call('HDEL', KEYS[4], 'erased')
  redis.call('INCR', KEYS[6])
elseif redis.call('EXISTS', KEYS[3]) == 1 then
  return 0
end
if ARGV[2] ~= ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) end
if ARGV[4] ~= '' and redis.call('HGET', KEYS[7], 'birth_year') ~= ARGV[4] then
  redis.call('HSET', KEYS[7], 'birth_year', ARGV[4])
  redis.call('INCR', KEYS[6])
end
local n = tonumber(ARGV[5])
if n > 0 then redis.call('HSET', KEYS[2], unpack(ARGV, 6, 5 + 2 * n)) end
if #ARGV > 5 + 2 * n then redis.call('SADD', KEYS[5], unpack(ARGV, 6 + 2 * n)) end
return 1
`;

// A minimal read in one step: the erasure tombstone, the wrapped data key and only the named profile fields, read
// atomically like the MULTI it replaces but as one command. ARGV: the field names. Returns {1} erased, {0} no
// profile, {2, key, values}. SUBJECT_READ reads one subject (KEYS: erased, data key, profile); on one node,
// SUBJECT_READ_MANY reads a page of subjects (KEYS: those three for each) and returns one such reply per subject.
const READ_ONE = `
local function read(erased, data_key, profile)
  if redis.call('EXISTS', erased) == 1 then return {1} end
  local wrapped = redis.call('GET', data_key)
  if not wrapped then return {0} end
  if #ARGV == 0 then return {2, wrapped, {}} end
  return {2, wrapped, redis.call('HMGET', profile, unpack(ARGV))}
end`;
const SUBJECT_READ = `#!lua${READ_ONE}
return read(KEYS[1], KEYS[2], KEYS[3])
`;
const SUBJECT_READ_MANY = `#!lua${READ_ONE}
local out = {}
for i = 1, #KEYS, 3 do out[#out + 1] = read(KEYS[i], KEYS[i + 1], KEYS[i + 2]) end
return out
`;

/** Keys of one subject's profile write, all under the subject's hash tag. */
export interface ProfileWriteKeys {
  readonly dataKey: string;
  readonly profile: string;
  readonly erased: string;
  readonly suppression: string;
  readonly addressHashes: string;
  /** The consent epoch: readmission lifts the erasure suppression, which changes the guard's answer. */
  readonly epoch: string;
  /** The subject flags: the birth year is kept there in clear so the guard can tell minors apart (PIPL 31). */
  readonly flags: string;
}

/** The arguments of one profile write. */
export interface ProfileWrite {
  /** The wrapped data key the writer saw ('' for none): the write only applies if it is still current. */
  readonly expectedKey: string;
  readonly wrappedKey: string;
  readonly readmit: boolean;
  readonly encryptedFields: readonly string[];
  readonly addressHashes: readonly string[];
  /** The birth year written with this profile, '' when the write carries none. */
  readonly birthYear: string;
}

/** Defines the subject scripts on the client (once); pipelines created afterwards carry them. */
export function defineSubjectScripts(redis: Redis): void {
  if (!(redis as unknown as Record<string, unknown>).cfProfileWrite)
    redis.defineCommand('cfProfileWrite', { numberOfKeys: 7, lua: PROFILE_WRITE });
  if (!(redis as unknown as Record<string, unknown>).cfSubjectRead)
    redis.defineCommand('cfSubjectRead', { numberOfKeys: 3, lua: SUBJECT_READ });
  if (!(redis as unknown as Record<string, unknown>).cfSubjectReadMany)
    redis.defineCommand('cfSubjectReadMany', { lua: SUBJECT_READ_MANY });
}

const ReadReply = z
  .union([
    z.tuple([z.literal(1)]),
    z.tuple([z.literal(0)]),
    z.tuple([z.literal(2), z.string(), z.array(z.string().nullable())]),
  ])
  .transform((r): SealedProfile =>
    r[0] === 2 ? { erased: false, wrapped: r[1], values: r[2] } : { erased: r[0] === 1, wrapped: '', values: [] },
  );

/** Runs the minimal-read script: erased, no profile, or the wrapped data key with the named fields' ciphertexts. */
export async function subjectRead(
  redis: Redis,
  k: { readonly erased: string; readonly dataKey: string; readonly profile: string },
  fields: readonly string[],
): Promise<SealedProfile> {
  const s = redis as unknown as { cfSubjectRead(...a: string[]): Promise<unknown> };
  return ReadReply.parse(await s.cfSubjectRead(k.erased, k.dataKey, k.profile, ...fields));
}

/**
 * Runs the minimal-read script for many subjects at once (one node only: their keys are in many slots), `keys` the
 * three keys of each in order: one reply per subject, as `subjectRead` gives.
 */
export async function subjectReadMany(
  redis: Redis,
  keys: readonly string[],
  fields: readonly string[],
): Promise<SealedProfile[]> {
  const s = redis as unknown as { cfSubjectReadMany(...a: Array<string | number>): Promise<unknown> };
  return z.array(ReadReply).parse(await s.cfSubjectReadMany(keys.length, ...keys, ...fields));
}

/** Runs the profile-write script (the client must have been passed to `defineSubjectScripts`); 1 applied, 0 conflict. */
export function profileWrite(redis: Redis, k: ProfileWriteKeys, w: ProfileWrite): Promise<number> {
  const args = [
    w.expectedKey,
    w.wrappedKey,
    w.readmit ? '1' : '0',
    w.birthYear,
    String(w.encryptedFields.length / 2),
    ...w.encryptedFields,
    ...w.addressHashes,
  ];
  return (redis as unknown as { cfProfileWrite(...a: string[]): Promise<number> }).cfProfileWrite(
    k.dataKey,
    k.profile,
    k.erased,
    k.suppression,
    k.addressHashes,
    k.epoch,
    k.flags,
    ...args,
  );
}
