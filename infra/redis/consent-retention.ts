import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ConsentEvent } from '../../domain/consent.js';
import type { SubjectRef } from '../../domain/ids.js';
import type { RedisKeys } from './keys.js';

/** One stored consent event with the raw item that holds it (`<id> <json>` in a list, the entry id in a stream). */
export interface StoredConsentEvent {
  readonly event: ConsentEvent;
  readonly raw: string;
}

// The only path that deletes consent events, kept apart from the append-only ConsentStore. All or nothing: it
// refuses if any item is its purpose and channel's current answer (the projection's event), so whatever the
// caller computed, the guard's input cannot change; and it bumps no epoch because no answer changes.
const REMOVE = `
local t = redis.call('TYPE', KEYS[1])['ok']
if t ~= 'list' and t ~= 'stream' then return {'none', 0} end
local bodies = {}
for i, raw in ipairs(ARGV) do
  local json
  if t == 'list' then
    local cut = string.find(raw, ' ', 1, true)
    if cut then json = string.sub(raw, cut + 1) end
  else
    local r = redis.call('XRANGE', KEYS[1], raw, raw)
    if #r > 0 then json = r[1][2][2] end
  end
  if json then
    local e = cjson.decode(json)
    local cur = redis.call('HGET', KEYS[2], e['purpose'] .. '|' .. e['channel'])
    if cur and cjson.decode(cur)['id'] == e['id'] then return {'current', i - 1} end
  end
end
local n = 0
for _, raw in ipairs(ARGV) do
  if t == 'list' then n = n + redis.call('LREM', KEYS[1], 1, raw) else n = n + redis.call('XDEL', KEYS[1], raw) end
end
return {'ok', n}`;

const Reply = z.tuple([z.enum(['ok', 'none', 'current']), z.number()]);

/** A retention removal refused because one of the events is still the current answer: a bug in the caller. */
export class ConsentRetentionError extends Error {
  override readonly name = 'ConsentRetentionError';
}

/** Reads a subject's consent history raw and deletes events past retention; see REMOVE for what it refuses. */
export class ConsentRetentionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** The subject's events in store order with their raw items; throws on an event that does not validate. */
  async history(ref: SubjectRef): Promise<StoredConsentEvent[]> {
    const key = this.keys.consentEvents(ref);
    const rows: Array<readonly [string, string | undefined]> =
      (await this.redis.type(key)) === 'stream'
        ? (await this.redis.xrange(key, '-', '+')).map(([id, fields]) => [id, fields[1]] as const)
        : (await this.redis.lrange(key, 0, -1)).map((item) => [item, item.slice(item.indexOf(' ') + 1)] as const);
    return rows.map(([raw, json]) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(json ?? '');
      } catch {
        parsed = undefined;
      }
      const r = ConsentEvent.safeParse(parsed);
      if (!r.success)
        throw new ConsentRetentionError(
          `a consent event of ${ref} does not validate, so its history is left untouched`,
        );
      return { event: r.data, raw };
    });
  }

  /** Deletes the given events; returns how many went. */
  async remove(ref: SubjectRef, items: readonly StoredConsentEvent[]): Promise<number> {
    if (items.length === 0) return 0;
    const [status, n] = Reply.parse(
      await this.redis.eval(
        REMOVE,
        2,
        this.keys.consentEvents(ref),
        this.keys.consentState(ref),
        ...items.map((i) => i.raw),
      ),
    );
    if (status === 'current')
      throw new ConsentRetentionError(
        `consent event ${items[n]?.event.id} of ${ref} is the current answer for its purpose and channel; retention never removes it`,
      );
    return n;
  }
}
