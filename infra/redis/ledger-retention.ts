import { Cluster, type Redis } from 'ioredis';
import { LedgerRecord } from './send-ledger.js';

/** One send-ledger record as found by a scan: its key, the raw value (compared again on delete) and its fields. */
export interface FoundLedgerRecord {
  readonly key: string;
  readonly raw: string;
  readonly record: LedgerRecord;
  /** The workflow and step from the key's scope (`<workflowId>:<stepId>`). */
  readonly workflowId: string;
}

// Deletes a record only if it is still the value the scan read: a resumed run that rewrote it keeps it.
const DELETE_IF_SAME = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** `s` with SCAN's glob characters escaped, to match it literally. */
export const globEscape = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Pages of every send-ledger record under `prefix` (SCAN on each master of a cluster). Records that do not parse
 * are skipped, never deleted: retention removes only what it can date.
 */
export async function* ledgerRecords(redis: Redis, prefix: string, count = 500): AsyncGenerator<FoundLedgerRecord[]> {
  const marker = ':send:';
  const nodes = redis instanceof Cluster ? (redis as Cluster).nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${globEscape(prefix)}s:{*}${marker}*`, 'COUNT', count);
      cursor = next;
      const values = keys.length === 0 ? [] : await Promise.all(keys.map((k) => node.get(k)));
      const page: FoundLedgerRecord[] = [];
      keys.forEach((key, i) => {
        const raw = values[i];
        if (raw == null) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          return;
        }
        const r = LedgerRecord.safeParse(parsed);
        const scope = key.slice(key.indexOf(marker) + marker.length);
        const cut = scope.lastIndexOf(':');
        if (r.success && cut > 0) page.push({ key, raw, record: r.data, workflowId: scope.slice(0, cut) });
      });
      if (page.length > 0) yield page;
    } while (cursor !== '0');
  }
}

/** Deletes records still holding the value read; returns how many went. */
export async function deleteLedgerRecords(redis: Redis, found: readonly FoundLedgerRecord[]): Promise<number> {
  const n = await Promise.all(found.map((f) => redis.eval(DELETE_IF_SAME, 1, f.key, f.raw) as Promise<number>));
  return n.reduce((a, b) => a + b, 0);
}
