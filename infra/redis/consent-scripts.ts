import type { Redis } from 'ioredis';

// `#!lua` without `no-writes` makes Redis refuse the script on OOM before it starts, so the one failure that could
// strike between the two writes is checked up front; the type checks cover the other (WRONGTYPE). Redis never
// interrupts a script that has written, and AOF logs its effects as one MULTI/EXEC that a torn tail discards.
// Sends reserved before this write and not yet answered: a withdrawal waits for them before it is acknowledged.
const INFLIGHT = `
local function inflightSends(key)
  local t = redis.call('TIME')
  return redis.call('ZCOUNT', key, tonumber(t[1]) * 1000, '+inf')
end
`;

/** A guard-state write (HSET or HDEL of one field) that bumps the consent epoch; returns the writes' reply and in-flight sends. */
const STATE_WRITE = `#!lua
${INFLIGHT}
local r
if ARGV[1] == 'set' then r = redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) else r = redis.call('HDEL', KEYS[1], ARGV[2]) end
redis.call('INCR', KEYS[2])
return {r, inflightSends(KEYS[3])}
`;

// Events are a list of '<id> <json>' (a one-event stream costs a preallocated 4 KB listpack node; a small list a
// few hundred bytes). Ids keep the stream form ms-seq, increasing per subject. A subject whose events were recorded
// as a stream before keeps appending there.
const APPEND = `#!lua
${INFLIGHT}
local ts = redis.call('TYPE', KEYS[1])['ok']
local th = redis.call('TYPE', KEYS[2])['ok']
if (ts ~= 'none' and ts ~= 'list' and ts ~= 'stream') or (th ~= 'none' and th ~= 'hash') then
  return redis.error_reply('WRONGTYPE consent keys hold unexpected types; nothing was written')
end
if ARGV[3] and ARGV[3] ~= '' then
  local cur = redis.call('HGET', KEYS[2], ARGV[1])
  if cur then
    local at = cjson.decode(cur)['occurredAt']
    if type(at) == 'string' and at > ARGV[3] then return {'older', at} end
  end
end
local id
if ts == 'stream' then
  id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[2])
else
  local t = redis.call('TIME')
  local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local seq = 0
  local last = redis.call('LINDEX', KEYS[1], -1)
  if last then
    local lms, lseq = string.match(last, '^(%d+)-(%d+) ')
    if tonumber(lms) >= ms then
      ms = tonumber(lms)
      seq = tonumber(lseq) + 1
    end
  end
  id = string.format('%d-%d', ms, seq)
  redis.call('RPUSH', KEYS[1], id .. ' ' .. ARGV[2])
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[3])
return {id, inflightSends(KEYS[4])}
`;

// With ARGV[3] (a backdated event's occurredAt, toISOString form so strings compare as times) the append is refused
// with {'older', <later time>} when the projection already holds a later answer: the projection is the latest
// append, so appending an older answer after a newer one would let a migrated grant override a later withdrawal.

// What the guard reads of one subject, its keys named by `k(1)`..`k(5)`.
const guardReads = (k: (i: number) => string) => `
  redis.call('HGETALL', ${k(1)}),
  redis.call('HGETALL', ${k(2)}),
  redis.call('EXISTS', ${k(3)}),
  {redis.call('HGET', ${k(4)}, 'personalisation') or '', redis.call('HGET', ${k(4)}, 'birth_year') or ''},
  redis.call('GET', ${k(5)}) or '0'`;

// Read-only snapshot of everything the guard needs, one command per subject (so bulk loads pipeline cleanly);
// `more` reads further keys of the subject's slot in the same call.
const guardLoad = (more = '') => `#!lua flags=no-writes
return {${guardReads((i) => `KEYS[${i}]`)}${more}
}
`;
const GUARD_LOAD = guardLoad();
// The guard's state plus one more key of the subject's slot (a send-ledger record), so a send step loads both at once.
const GUARD_LOAD_WITH = guardLoad(`,
  redis.call('GET', KEYS[6]) or ''`);
// The same, plus the subject's frequency-cap window on the step's channel: sends counted since ARGV[1] and the score
// of this step's own slot (ARGV[2]), so a capped step decides without a round trip of its own.
const GUARD_LOAD_CAP = guardLoad(`,
  redis.call('GET', KEYS[6]) or '',
  redis.call('ZCOUNT', KEYS[7], '(' .. ARGV[1], '+inf'),
  redis.call('ZSCORE', KEYS[7], ARGV[2]) or ''`);

// Many subjects' guard states with their send records (GUARD_LOAD_WITH's reply each), in one call: only where every
// key lives on one node (not a Redis Cluster). ARGV[1] is the keys per subject: 6, or 7 with the frequency-cap
// window, read as GUARD_LOAD_CAP does with ARGV[2] and ARGV[3].
const GUARD_LOAD_MANY = `#!lua flags=no-writes
local per = tonumber(ARGV[1])
local out = {}
for b = 0, #KEYS - per, per do
  local r = {${guardReads((i) => `KEYS[b + ${i}]`)},
    redis.call('GET', KEYS[b + 6]) or ''
  }
  if per == 7 then
    r[7] = redis.call('ZCOUNT', KEYS[b + 7], '(' .. ARGV[2], '+inf')
    r[8] = redis.call('ZSCORE', KEYS[b + 7], ARGV[3]) or ''
  end
  out[#out + 1] = r
end
return out
`;

/** The raw reply of the guard-load script: projection, suppressions (flat field/value lists), erased, [flag, birth year], epoch. */
export type GuardLoadReply = [string[], string[], number, [string, string], string];

interface ScriptedRedis {
  cfConsentAppend(
    events: string,
    state: string,
    epoch: string,
    inflight: string,
    field: string,
    json: string,
    notBefore?: string,
  ): Promise<[string, number] | ['older', string]>;
  cfGuardLoad(
    state: string,
    suppression: string,
    erased: string,
    flags: string,
    epoch: string,
  ): Promise<GuardLoadReply>;
  cfGuardLoadWith(
    state: string,
    suppression: string,
    erased: string,
    flags: string,
    epoch: string,
    extra: string,
  ): Promise<[...GuardLoadReply, string]>;
  cfGuardLoadCap(
    state: string,
    suppression: string,
    erased: string,
    flags: string,
    epoch: string,
    extra: string,
    cap: string,
    since: string,
    member: string,
  ): Promise<[...GuardLoadReply, string, number, string]>;
  /** `numKeys` keys (6 or 7 a subject), then the keys per subject and, capped, the window's start and member. */
  cfGuardLoadMany(numKeys: number, ...keysAndArgs: string[]): Promise<unknown[][]>;
  cfStateWrite(
    hash: string,
    epoch: string,
    inflight: string,
    op: 'set' | 'del',
    field: string,
    value?: string,
  ): Promise<[number, number]>;
}

/** The client with consentflow's Lua commands defined (EVALSHA with automatic script loading, also in pipelines). */
export function withConsentScripts(redis: Redis): Redis & ScriptedRedis {
  const r = redis as Redis & Partial<ScriptedRedis>;
  if (!r.cfConsentAppend) redis.defineCommand('cfConsentAppend', { numberOfKeys: 4, lua: APPEND });
  if (!r.cfGuardLoad) redis.defineCommand('cfGuardLoad', { numberOfKeys: 5, lua: GUARD_LOAD });
  if (!r.cfGuardLoadWith) redis.defineCommand('cfGuardLoadWith', { numberOfKeys: 6, lua: GUARD_LOAD_WITH });
  if (!r.cfGuardLoadCap) redis.defineCommand('cfGuardLoadCap', { numberOfKeys: 7, lua: GUARD_LOAD_CAP });
  if (!r.cfGuardLoadMany) redis.defineCommand('cfGuardLoadMany', { lua: GUARD_LOAD_MANY });
  if (!r.cfStateWrite) redis.defineCommand('cfStateWrite', { numberOfKeys: 3, lua: STATE_WRITE });
  return r as Redis & ScriptedRedis;
}
