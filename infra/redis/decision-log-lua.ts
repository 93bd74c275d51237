import type { Redis } from 'ioredis';

/**
 * Compare-and-set append. The HMAC needs the log key, which only Node holds, so the client computes the hashes
 * against the head it read and the script appends only if that head is still current; else it returns the
 * current head so the client can rehash and retry in one more round trip.
 * It also refuses entries whose writer clock is off from Redis's by more than the allowed skew, because time
 * queries and sealing select by stream id (Redis's clock) and must never miss an entry stamped by the writer.
 * KEYS: chain stream, head hash. ARGV: expected seq, expected hash, new seq, new hash, new head mac,
 * earliest and latest entry time (ms), allowed skew (ms), then (canonical, hash) pairs.
 */
const APPEND = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(ARGV[6]) < now - tonumber(ARGV[8]) or tonumber(ARGV[7]) > now + tonumber(ARGV[8]) then
  return {2, tostring(now)}
end
local head = redis.call('HMGET', KEYS[2], 'seq', 'hash')
local seq = head[1] or '0'
local hash = head[2] or string.rep('0', 64)
if seq ~= ARGV[1] or hash ~= ARGV[2] then
  return {0, seq, hash}
end
local id = ''
for i = 9, #ARGV, 2 do
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
