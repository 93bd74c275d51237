import type { Redis } from 'ioredis';

/**
 * Compare-and-set append. The HMAC needs the log key, which only Node holds, so the client computes the hashes
 * against the head it read and the script appends only if that head is still current; else it returns the
 * current head so the client can rehash and retry in one more round trip.
 * KEYS: chain stream, head hash. ARGV: expected seq, expected hash, new seq, new hash, new head mac,
 * then (canonical, hash) pairs.
 */
const APPEND = `
local head = redis.call('HMGET', KEYS[2], 'seq', 'hash')
local seq = head[1] or '0'
local hash = head[2] or string.rep('0', 64)
if seq ~= ARGV[1] or hash ~= ARGV[2] then
  return {0, seq, hash}
end
local id = ''
for i = 6, #ARGV, 2 do
  id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[i], 'h', ARGV[i + 1])
end
redis.call('HSET', KEYS[2], 'seq', ARGV[3], 'hash', ARGV[4], 'mac', ARGV[5], 'id', id)
return {1, id}
`;

/** The log's Lua commands, registered on a client once. */
export interface LogScripts {
  cfLogAppend(chain: string, head: string, ...args: string[]): Promise<[number, string, string?]>;
}

/** Registers the append script on `redis` (idempotent) and returns it typed. */
export function logScripts(redis: Redis): Redis & LogScripts {
  const r = redis as Redis & Partial<LogScripts>;
  if (typeof r.cfLogAppend !== 'function') redis.defineCommand('cfLogAppend', { numberOfKeys: 2, lua: APPEND });
  return redis as Redis & LogScripts;
}
