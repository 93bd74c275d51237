import { retentionCutoffMs } from '../domain/retention.js';
import { retentionEntry } from '../domain/retention-entry.js';
import type { RunRecord } from '../infra/redis/run-store.js';
import type { AppendLog } from './send-pipeline.js';

/** The run-state retention ports. */
export interface RunRetentionPorts {
  /** Whether the run may still need its member state: its workflow or one of its journeys runs, or it is starting. */
  readonly runInUse: (run: RunRecord) => Promise<boolean>;
  /** Every run's record, page by page. */
  readonly runPages: () => AsyncIterable<readonly RunRecord[]>;
  /** Removes a run's member state (audience, deferred set, journey registry, flag), keeping its record. */
  readonly removeRunState: (runId: string, at: string) => Promise<void>;
}

/** What a retention run did to campaign runs' member state. */
export interface RunRetentionResult {
  readonly removed: number;
  /** Members listed in the removed audiences. */
  readonly members: number;
  /** Runs past retention kept because their workflow is still going or they are still fixing their audience. */
  readonly keptInUse: number;
}

/** Whether the run's member state is past retention: it ended before `cutoffMs` and its state is still there. */
export const runStateDue = (run: RunRecord, cutoffMs: number): boolean =>
  run.stateRemovedAt === undefined && Date.parse(run.finishedAt ?? run.startedAt) < cutoffMs;

/**
 * Removes the member state of runs that ended longer ago than the send-ledger retention: a run's audience is there to
 * be reconciled against its ledger records, which are gone by then. The run's record stays, with its counts and the
 * id of its summary entry in the log. Logged per run before removal, idempotent per run.
 */
export async function expireRunStates(
  deps: RunRetentionPorts & { readonly appendLog: AppendLog; readonly now: () => Date },
  days: number,
  asOf: Date,
  beat: () => void,
): Promise<RunRetentionResult> {
  const cutoff = retentionCutoffMs(asOf.getTime(), days);
  let removed = 0;
  let members = 0;
  let keptInUse = 0;
  for await (const page of deps.runPages()) {
    const old = page.filter((r) => runStateDue(r, cutoff));
    const inUse = await Promise.all(old.map((r) => deps.runInUse(r)));
    for (const [i, run] of old.entries()) {
      if (inUse[i]) {
        keptInUse += 1;
        continue;
      }
      const at = Date.parse(run.finishedAt ?? run.startedAt);
      const entry = retentionEntry({
        cls: 'run_state',
        what: `run_state=${run.runId}`,
        reason: `older_than_${days}d`,
        asOf,
        at: deps.now(),
        data: { n: run.audienceSize ?? 0, fromMs: Date.parse(run.startedAt), toMs: at },
      });
      await deps.appendLog([entry], { idempotencyKeys: [`retention|run_state|${run.runId}`] });
      await deps.removeRunState(run.runId, deps.now().toISOString());
      removed += 1;
      members += run.audienceSize ?? 0;
    }
    beat();
  }
  return { removed, members, keptInUse };
}
