import { ApplicationFailure } from '@temporalio/activity';
import type { SubjectRef } from '../domain/ids.js';
import { RUN_SUMMARY_SUBJECT_REF, runSummaryResult, type RunReconciliation } from '../domain/run.js';
import { reconcileRun } from '../infra/redis/run-reconcile.js';
import type { RunRecord } from '../infra/redis/run-store.js';
import { RUN_CANCELLED, runGuardedSends, type SendSpec } from './send-pipeline.js';
import { heartbeat, type RunActivityDeps } from './run-page.js';

/** The run being closed, as the workflow names it. */
export interface FinishInput {
  readonly runId: string;
  readonly campaignId: string;
  readonly campaignVersion: string;
  readonly workflowId: string;
  readonly temporalRunId: string;
  readonly cancelled?: boolean;
  readonly closeSpec?: SendSpec;
}

/** What a sweep needs to close the run at once when it finds every member accounted for. */
export type SweepFinish = Omit<FinishInput, 'runId' | 'cancelled' | 'closeSpec'>;

/**
 * Finds every member with no terminal outcome yet and schedules it for another attempt. Given `finish`, a sweep
 * that finds none pending closes the run itself, from the same reading: a second and third pass over the audience
 * (another sweep, then the finish) would only count the same records again.
 */
export async function sweepRun(
  deps: RunActivityDeps,
  input: { runId: string; finish?: SweepFinish },
): Promise<{ pending: number; summary?: RunReconciliation }> {
  const clock = deps.now ?? (() => new Date());
  const run = await deps.runs.get(input.runId);
  if (!run) return { pending: 0 };
  // A finished run counts its pending members as unaccounted: that is the finish's reading, not a sweep's.
  if (input.finish && run.status === 'finished') {
    const summary = await finishRun(deps, { ...input.finish, runId: input.runId });
    return { pending: 0, summary };
  }
  const now = clock().getTime();
  const due: Array<{ ref: string; dueAt: number }> = [];
  const r = await reconcileRun(deps.runs, deps.ledger, run, (ref, s, rec) => {
    if (s === 'pending')
      due.push({ ref, dueAt: rec?.runId === run.runId && rec.nextAttemptAt ? rec.nextAttemptAt : now });
  });
  for (let i = 0; i < due.length; i += 1_000) await deps.runs.defer(input.runId, due.slice(i, i + 1_000));
  if (!input.finish || r.pending > 0) return { pending: r.pending };
  // No member pending: this reading is the finish's own (with none pending, nothing counts as unaccounted).
  const finished = await deps.runs.update(input.runId, { status: 'finished', finishedAt: clock().toISOString() });
  await summarise(deps, { ...input.finish, runId: input.runId }, finished, r);
  return { pending: 0, summary: r };
}

/** Appends the run's one summary entry (counts and audience digest), unless an earlier attempt did. */
async function summarise(
  deps: RunActivityDeps,
  input: SweepFinish & { readonly runId: string },
  run: RunRecord,
  r: RunReconciliation,
): Promise<void> {
  if (run.summaryEntryId) return;
  const [entry] = await deps.appendLog(
    [
      {
        subjectRef: RUN_SUMMARY_SUBJECT_REF,
        kind: 'run',
        outcome: 'summary',
        campaignId: input.campaignId,
        campaignVersion: input.campaignVersion,
        workflowId: input.workflowId,
        runId: input.runId,
        stepId: 'summary',
        result: runSummaryResult(r),
        reasons: r.unaccounted > 0 ? ['unaccounted_subjects'] : [],
      },
    ],
    { idempotencyKeys: [`${input.runId}|summary`] },
  );
  await deps.runs.update(input.runId, { summaryEntryId: entry!.id, summaryResult: entry!.result ?? undefined });
}

/** Closes a run: reconciles it from the ledger and appends one summary entry (counts and audience digest). */
export async function finishRun(deps: RunActivityDeps, input: FinishInput): Promise<RunReconciliation> {
  const clock = deps.now ?? (() => new Date());
  const run = await deps.runs.get(input.runId);
  if (!run)
    throw ApplicationFailure.create({
      type: 'RunUnknownFailure',
      nonRetryable: true,
      message: `run ${input.runId} is not recorded`,
    });
  if (input.cancelled && input.closeSpec && run.status !== 'finished') {
    // A cancelled run still accounts for everyone: members it never reached are logged as not eligible.
    const left: SubjectRef[] = [];
    await reconcileRun(deps.runs, deps.ledger, run, (ref, s) => void (s === 'pending' && left.push(ref)));
    for (let i = 0; i < left.length; i += 250) {
      const refs = left.slice(i, i + 250);
      await runGuardedSends(deps, input.closeSpec, refs, { excluded: new Map(refs.map((r) => [r, RUN_CANCELLED])) });
      heartbeat();
    }
  }
  const finished =
    run.status === 'finished'
      ? run
      : await deps.runs.update(input.runId, { status: 'finished', finishedAt: clock().toISOString() });
  const r = await reconcileRun(deps.runs, deps.ledger, finished);
  await summarise(deps, input, finished, r);
  return r;
}
