import type { Redis } from 'ioredis';

// `#!lua` without `no-writes` makes Redis refuse the script on OOM before it starts, so the one failure that could
// strike between the two writes is checked up front; the type checks cover the other (WRONGTYPE). Redis never
// interrupts a script that has written, and AOF logs its effects as one MULTI/EXEC that a torn tail discards.
const APPEND = `#!lua
local ts = redis.call('TYPE', KEYS[1])['ok']
local th = redis.call('TYPE', KEYS[2])['ok']
if (ts ~= 'none' and ts ~= 'stream') or (th ~= 'none' and th ~= 'hash') then
  return redis.error_reply('WRONGTYPE consent keys hold unexpected types; nothing was written')
end
local id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return id
`;

// Read-only snapshot of everything the guard needs, one command per subject (so bulk loads pipeline cleanly).
const GUARD_LOAD = `#!lua flags=no-writes
return {
  redis.call('HGETALL', KEYS[1]),
  redis.call('HGETALL', KEYS[2]),
  redis.call('EXISTS', KEYS[3]),
  redis.call('HGET', KEYS[4], 'personalisation') or ''
}
`;

/** The raw reply of the guard-load script: projection, suppressions (flat field/value lists), erased, flag. */
export type GuardLoadReply = [string[], string[], number, string];

interface ScriptedRedis {
  cfConsentAppend(events: string, state: string, field: string, json: string): Promise<string>;
  cfGuardLoad(state: string, suppression: string, erased: string, flags: string): Promise<GuardLoadReply>;
}

/** The client with consentflow's Lua commands defined (EVALSHA with automatic script loading, also in pipelines). */
export function withConsentScripts(redis: Redis): Redis & ScriptedRedis {
  const r = redis as Redis & Partial<ScriptedRedis>;
  if (!r.cfConsentAppend) redis.defineCommand('cfConsentAppend', { numberOfKeys: 2, lua: APPEND });
  if (!r.cfGuardLoad) redis.defineCommand('cfGuardLoad', { numberOfKeys: 4, lua: GUARD_LOAD });
  return r as Redis & ScriptedRedis;
}

/** A pipeline that also carries the guard-load command. */
export type GuardLoadPipeline = ReturnType<Redis['pipeline']> & {
  cfGuardLoad(state: string, suppression: string, erased: string, flags: string): GuardLoadPipeline;
};
