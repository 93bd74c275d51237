import type { Redis } from 'ioredis';

/**
 * Compare-and-set append. The HMAC needs the log key, which only Node holds, so the client computes the hashes
 * against the head it read and the script appends only if that head is still current; else it returns the
 * current head so the client can rehash and retry in one more round trip.
 * It also refuses entries whose writer clock is off from Redis's by more than the allowed skew, because time
 * queries and sealing select by stream id (Redis's clock) and must never miss an entry stamped by the writer.
 * An entry may carry an idempotency key: if today's or yesterday's idempotency hash already holds it, nothing is
 * written and the stream ids of those entries come back, so a retried batch never logs the same fact twice.
 * The head keeps the fingerprint of the log key its chain is under; a writer with another key is refused (reply
 * 4), so a process still holding a replaced log key cannot append entries verify would reject.
 * With the entries it adds to the campaign runs' live counters (HINCRBY per bucket hash, see run-counters.ts), only
 * when it appends them: a retried batch counts once, and the send path pays no round trip for the monitor's figures.
 * The counter hashes carry the chain's hash tag, so they live in its Cluster slot.
 * KEYS: chain stream, head hash, idempotency hash of today, of yesterday. ARGV: expected seq, expected hash, new
 * seq, new hash, new head mac, earliest and latest entry time (ms), allowed skew (ms), idempotency TTL (s), log
 * key fingerprint, number of entries n, then n (canonical, hash, idempotency key or '') triples, then (counter hash,
 * field, increment) triples, then the counters' TTL (s) when there are any.
 */
const APPEND = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(ARGV[6]) < now - tonumber(ARGV[8]) or tonumber(ARGV[7]) > now + tonumber(ARGV[8]) then
  return {2, tostring(now)}
end
local last = 11 + 3 * tonumber(ARGV[11])
local dups = {3}
for i = 12, last, 3 do
  local k = ARGV[i + 2]
  if k ~= '' then
    local sid = redis.call('HGET', KEYS[3], k) or redis.call('HGET', KEYS[4], k)
    if sid then
      dups[#dups + 1] = tostring((i - 12) / 3)
      dups[#dups + 1] = sid
    end
  end
end
if #dups > 1 then return dups end
local head = redis.call('HMGET', KEYS[2], 'seq', 'hash', 'kid')
if head[3] and head[3] ~= ARGV[10] then
  return {4, head[3]}
end
local seq = head[1] or '0'
local hash = head[2] or string.rep('0', 64)
if seq ~= ARGV[1] or hash ~= ARGV[2] then
  return {0, seq, hash}
end
local id = ''
local idem = false
for i = 12, last, 3 do
  id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[i], 'h', ARGV[i + 1])
  if ARGV[i + 2] ~= '' then
    redis.call('HSET', KEYS[3], ARGV[i + 2], id)
    idem = true
  end
end
if idem then redis.call('EXPIRE', KEYS[3], ARGV[9]) end
for i = last + 1, #ARGV - 1, 3 do
  redis.call('HINCRBY', ARGV[i], ARGV[i + 1], ARGV[i + 2])
  redis.call('EXPIRE', ARGV[i], ARGV[#ARGV])
end
redis.call('HSET', KEYS[2], 'seq', ARGV[3], 'hash', ARGV[4], 'mac', ARGV[5], 'id', id, 'kid', ARGV[10])
return {1, id}
`;

/**
 * A log-key handover: appends the rotation entry (MAC under the old key, `n` under the new one) and moves the head
 * to the new key's fingerprint, only if the head is still the one the entry was chained to and still under the old
 * key ('' when the head has no fingerprint yet). KEYS: chain stream, head hash. ARGV: expected seq, expected hash,
 * expected key fingerprint, canonical, hash, new-key MAC, head mac, new key fingerprint, entry time (ms), allowed
 * skew (ms).
 */
const HANDOVER = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if math.abs(tonumber(ARGV[9]) - now) > tonumber(ARGV[10]) then
  return {2, tostring(now)}
end
local head = redis.call('HMGET', KEYS[2], 'seq', 'hash', 'kid')
if (head[1] or '0') ~= ARGV[1] or (head[2] or string.rep('0', 64)) ~= ARGV[2] or (head[3] or '') ~= ARGV[3] then
  return {0}
end
local id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[4], 'h', ARGV[5], 'n', ARGV[6])
redis.call('HSET', KEYS[2], 'seq', tostring(tonumber(ARGV[1]) + 1), 'hash', ARGV[5], 'mac', ARGV[7], 'id', id, 'kid', ARGV[8])
return {1, id}
`;

/** The log's Lua commands, registered on a client once. */
export interface LogScripts {
  cfLogAppend(
    chain: string,
    head: string,
    idemToday: string,
    idemYesterday: string,
    ...args: string[]
  ): Promise<[number, ...string[]]>;
  cfLogHandover(chain: string, head: string, ...args: string[]): Promise<[number, ...string[]]>;
}

/** Registers the append script on `redis` (idempotent) and returns it typed. */
export function logScripts(redis: Redis): Redis & LogScripts {
  const r = redis as Redis & Partial<LogScripts>;
  if (typeof r.cfLogAppend !== 'function') redis.defineCommand('cfLogAppend', { numberOfKeys: 4, lua: APPEND });
  if (typeof r.cfLogHandover !== 'function') redis.defineCommand('cfLogHandover', { numberOfKeys: 2, lua: HANDOVER });
  return redis as Redis & LogScripts;
}
