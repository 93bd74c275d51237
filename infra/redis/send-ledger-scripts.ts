// The send ledger's Lua scripts: every one reads and writes keys of one subject's slot only (Redis Cluster).

// Redis time in ms (the clock every lease is written and read in, whichever worker asks).
const NOW_MS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`;

// Whether an attempt other than `owner` holds the reservation `key` under a lease that has not run out.
const LEASED = `
local function leased(cur, inflight, key, owner)
  if cur.state ~= 'reserved' or cur.owner == owner then return false end
  local lease = redis.call('ZSCORE', inflight, key)
  return lease ~= false and lease ~= nil and tonumber(lease) > now_ms()
end`;

// Writes a decided or closed record unless this run already reserved, sent or closed it (another attempt owns it).
// Given a member ARGV[4], a closed record gives back the step's frequency-cap slot in KEYS[2] (a deferred send that
// took one and is now denied will never happen).
export const PUT = `
local raw = redis.call('GET', KEYS[1])
if raw then
  local cur = cjson.decode(raw)
  if cur.runId == ARGV[3] and (cur.state == 'reserved' or cur.state == 'committed' or cur.state == 'closed') then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[4] ~= '' then redis.call('ZREM', KEYS[2], ARGV[4]) end
return 1`;

// Reserves a send and reads what it needs in the same round trip. A fresh decision writes its record here (no
// separate write before): refused only if this run already reserved, sent or closed it. A resumed one needs this
// run's decided or reserved record with the same decision. Either way the subject's consent epoch must still be the
// one the decision saw, so a withdrawal committed before this point means no send; on a moved epoch a fresh
// decision leaves its decided record, which the caller closes as a re-decision. Then the erasure tombstone, the
// wrapped data key and only the released profile fields are read (minimisation at the data layer). A capped step
// takes its frequency-cap slot here, atomically with the reservation, so two campaigns racing for the same person
// cannot both squeeze in; a window that filled since the decision means no send, like a moved epoch.
// KEYS: record, epoch, inflight, erased, data key, profile, cap window, and on one node the email's Message-ID index
// entry. ARGV: runId, decisionId, epoch, reserved json, record ttl, in-flight ttl, '1' if fresh, decided json, cap
// max ('' uncapped), window start, now, window ms, slot name, the claiming attempt, the index entry's value ('' for
// none: on a Redis Cluster the entry is in another slot and written beside the script) and seconds to keep it, then
// the released field names. The index entry is written only when the send is reserved. A resumed claim takes over
// another attempt's reservation only once that attempt's lease (its in-flight entry) ran out: until then the owner
// may be sending.
export const CLAIM = `${NOW_MS}${LEASED}
local raw = redis.call('GET', KEYS[1])
local fresh = ARGV[7] == '1'
if raw then
  local cur = cjson.decode(raw)
  if fresh then
    if cur.runId == ARGV[1] and (cur.state == 'reserved' or cur.state == 'committed' or cur.state == 'closed') then return {'busy'} end
  elseif cur.runId ~= ARGV[1] or (cur.state ~= 'decided' and cur.state ~= 'reserved') or cur.decisionId ~= ARGV[2] then
    return {'busy'}
  elseif leased(cur, KEYS[3], KEYS[1], ARGV[14]) then
    return {'busy'}
  end
elseif not fresh then
  return {'missing'}
end
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[3] then
  if fresh then redis.call('SET', KEYS[1], ARGV[8], 'PX', ARGV[5]) end
  return {'epoch_moved'}
end
if ARGV[9] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', ARGV[10])
  if not redis.call('ZSCORE', KEYS[7], ARGV[13]) then
    if redis.call('ZCARD', KEYS[7]) >= tonumber(ARGV[9]) then
      if fresh then redis.call('SET', KEYS[1], ARGV[8], 'PX', ARGV[5]) end
      return {'capped'}
    end
    redis.call('ZADD', KEYS[7], ARGV[11], ARGV[13])
    redis.call('PEXPIRE', KEYS[7], ARGV[12])
  end
end
redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
redis.call('ZADD', KEYS[3], now_ms() + tonumber(ARGV[6]), KEYS[1])
redis.call('PEXPIRE', KEYS[3], ARGV[6])
if ARGV[15] ~= '' then redis.call('SET', KEYS[8], ARGV[15], 'EX', ARGV[16]) end
local values = {}
if #ARGV > 16 then values = redis.call('HMGET', KEYS[6], unpack(ARGV, 17)) end
return {'ok', redis.call('EXISTS', KEYS[4]), redis.call('GET', KEYS[5]) or '', values}`;

// Records the SMTP server's answer (or a release after a 4xx) and clears the in-flight reservation, unless the
// attempt ARGV[3] was superseded: another attempt holds the reservation under a live lease, or committed the send.
// Given a member ARGV[4], the send's frequency-cap slot in KEYS[3] goes back in the same step: a send that failed or
// was held takes none, and no other attempt can have taken the slot again in between.
export const SETTLE = `${NOW_MS}${LEASED}
local raw = redis.call('GET', KEYS[1])
if raw then
  local cur = cjson.decode(raw)
  if cur.owner ~= nil and cur.owner ~= ARGV[3] and cur.state == 'committed' then return 0 end
  if leased(cur, KEYS[2], KEYS[1], ARGV[3]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZREM', KEYS[2], KEYS[1])
if ARGV[4] ~= '' then redis.call('ZREM', KEYS[3], ARGV[4]) end
return 1`;

// Whether a reservation's lease (its in-flight entry) is still running. KEYS: inflight, record.
export const LEASE_LIVE = `${NOW_MS}
local lease = redis.call('ZSCORE', KEYS[1], KEYS[2])
if lease and tonumber(lease) > now_ms() then return 1 end
return 0`;
