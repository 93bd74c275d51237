import { createHash } from 'node:crypto';
import { retentionCutoffMs } from '../domain/retention.js';
import { retentionEntry } from '../domain/retention-entry.js';
import type { FoundLedgerRecord } from '../infra/redis/ledger-retention.js';
import type { AppendLog } from './send-pipeline.js';

/** The send-ledger retention ports. */
export interface LedgerRetentionPorts {
  /** Every ledger record, page by page. */
  readonly ledgerPages: () => AsyncIterable<readonly FoundLedgerRecord[]>;
  /** Whether a record may still be needed: its workflow is running, or its run is not finished (unknown counts as in use). */
  readonly ledgerInUse: (workflowId: string, runId: string | undefined) => Promise<boolean>;
  /** Deletes records still holding the value read; returns how many went. */
  readonly deleteLedgerRecords: (found: readonly FoundLedgerRecord[]) => Promise<number>;
}

/** What a retention run did to the send ledger. */
export interface LedgerRetentionResult {
  readonly removed: number;
  /** Records past retention kept because their run or workflow is still going. */
  readonly keptInUse: number;
}

/**
 * Deletes send-ledger records older than retention: they serve idempotency only while their run lives, so one that
 * belongs to a running workflow or an unfinished run is kept whatever its age. Logged per run before deletion.
 */
export async function expireSendLedger(
  deps: LedgerRetentionPorts & { readonly appendLog: AppendLog; readonly now: () => Date },
  days: number,
  asOf: Date,
  beat: () => void,
): Promise<LedgerRetentionResult> {
  const cutoff = retentionCutoffMs(asOf.getTime(), days);
  const inUse = new Map<string, Promise<boolean>>();
  const used = (f: FoundLedgerRecord) => {
    const k = `${f.workflowId}|${f.record.runId ?? ''}`;
    if (!inUse.has(k)) inUse.set(k, deps.ledgerInUse(f.workflowId, f.record.runId));
    return inUse.get(k)!;
  };
  let removed = 0;
  let keptInUse = 0;
  for await (const page of deps.ledgerPages()) {
    const old = page.filter((f) => Date.parse(f.record.at) < cutoff);
    const flags = await Promise.all(old.map(used));
    const due = old.filter((_, i) => !flags[i]);
    keptInUse += old.length - due.length;
    const byRun = new Map<string, FoundLedgerRecord[]>();
    for (const f of due) byRun.set(f.record.runId ?? '-', [...(byRun.get(f.record.runId ?? '-') ?? []), f]);
    for (const [run, records] of byRun) {
      const times = records.map((f) => Date.parse(f.record.at));
      const digest = createHash('sha256')
        .update(
          records
            .map((f) => f.key)
            .sort()
            .join('\n'),
        )
        .digest('hex')
        .slice(0, 16);
      const entry = retentionEntry({
        cls: 'send_ledger',
        what: `run=${run}`,
        reason: `older_than_${days}d`,
        asOf,
        at: deps.now(),
        data: { n: records.length, fromMs: Math.min(...times), toMs: Math.max(...times) },
      });
      await deps.appendLog([entry], { idempotencyKeys: [`retention|send_ledger|${run}|${digest}`] });
      removed += await deps.deleteLedgerRecords(records);
    }
    beat();
  }
  return { removed, keptInUse };
}
