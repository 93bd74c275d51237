import type { SubjectRef } from '../../domain/ids.js';
import {
  ENROL_STEP,
  JOURNEY_END_STEP,
  journeyWorkflowId,
  type MemberStatus,
  type RunReconciliation,
} from '../../domain/run.js';
import { terminalFor, type LedgerRecord, type SendLedger } from './send-ledger.js';
import type { RunRecord, RunStore } from './run-store.js';

/** Refs listed by name at most; the count is always exact. */
const LISTED = 100;
/** Members per page of ledger reads. */
const PAGE = 1_000;

/**
 * Each page with its ledger records. A page's reads start as soon as its refs arrive, so they are in flight while
 * the page before is tallied, rather than one round trip after another.
 */
async function* withRecords(
  pages: AsyncIterable<SubjectRef[]>,
  read: (refs: readonly SubjectRef[]) => Promise<Array<LedgerRecord | undefined>>,
): AsyncGenerator<readonly [SubjectRef[], Array<LedgerRecord | undefined>]> {
  let before: Promise<readonly [SubjectRef[], Array<LedgerRecord | undefined>]> | undefined;
  for await (const refs of pages) {
    const next = read(refs).then((recs) => [refs, recs] as const);
    // Awaited below; a failure while the page before is tallied must not count as unhandled meanwhile.
    next.catch(() => undefined);
    if (before) yield await before;
    before = next;
  }
  if (before) yield await before;
}

const bump = (m: Record<string, number>, k: string, n = 1) => void (m[k] = (m[k] ?? 0) + n);

/** Where one member of a broadcast run stands, from its ledger record. */
function broadcastStatus(run: RunRecord, rec: LedgerRecord | undefined): MemberStatus {
  const t = terminalFor(rec, run.runId);
  return t === 'enrolled' || t === undefined ? 'pending' : t;
}

/** Where one member of a journey run stands, from its enrolment and journey-end records. */
function journeyStatus(run: RunRecord, enrol: LedgerRecord | undefined, end: LedgerRecord | undefined): MemberStatus {
  const e = terminalFor(enrol, run.runId);
  if (e && e !== 'enrolled') return e as MemberStatus;
  const j = end && (end.state === 'closed' || end.state === 'committed') ? end.outcome : undefined;
  if (j) return j as MemberStatus;
  // Enrolled (or started by name) and not ended: the journey is still running.
  return e === 'enrolled' || run.segment === undefined ? 'in_progress' : 'pending';
}

/**
 * Accounts for every member of a run from the ledger, never from workflow memory: each member's terminal outcome,
 * and the members with none (pending while the run works, unaccounted once it has ended). `visit` sees each
 * member's status, for a sweep that schedules the pending ones again.
 */
export async function reconcileRun(
  runs: RunStore,
  ledger: SendLedger,
  run: RunRecord,
  visit?: (ref: SubjectRef, s: MemberStatus, rec: LedgerRecord | undefined) => void,
): Promise<RunReconciliation> {
  const outcomes: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  const steps: Record<string, Record<string, number>> = {};
  const pendingRefs: string[] = [];
  let pending = 0;
  let audience = 0;
  const scope = `${run.workflowId}:${run.sendSteps[0]}`;
  // Broadcast: the step's record. Journey: the enrolment and journey-end records, then each send step's.
  const per = run.kind === 'broadcast' ? 1 : 2 + run.sendSteps.length;
  const lookupsOf = (refs: readonly SubjectRef[]) =>
    run.kind === 'broadcast'
      ? refs.map((ref) => ({ ref, scope }))
      : refs.flatMap((ref) => {
          const wf = journeyWorkflowId(run.campaignId, ref);
          return [
            { ref, scope: `${run.workflowId}:${ENROL_STEP}` },
            { ref, scope: `${wf}:${JOURNEY_END_STEP}` },
            ...run.sendSteps.map((st) => ({ ref, scope: `${wf}:${st}` })),
          ];
        });
  for await (const [refs, recs] of withRecords(runs.pages(run.runId, PAGE), (refs) => ledger.lookup(lookupsOf(refs)))) {
    audience += refs.length;
    refs.forEach((ref, i) => {
      if (run.kind === 'broadcast') {
        const s = broadcastStatus(run, recs[i]);
        tally(s, recs[i], ref);
        visit?.(ref, s, recs[i]);
        return;
      }
      const [enrol, end, ...sends] = recs.slice(i * per, (i + 1) * per);
      const s = journeyStatus(run, enrol, end);
      tally(s, end ?? enrol, ref);
      visit?.(ref, s, enrol);
      run.sendSteps.forEach((st, k) => {
        const r = sends[k];
        if (r && (r.state === 'closed' || r.state === 'committed') && r.outcome) bump((steps[st] ??= {}), r.outcome);
      });
    });
  }
  const ended = run.status === 'finished';
  return {
    runId: run.runId,
    campaignId: run.campaignId,
    kind: run.kind,
    audienceSize: run.audienceSize ?? audience,
    audienceDigest: run.audienceDigest ?? null,
    outcomes,
    pending: ended ? 0 : pending,
    unaccounted: ended ? pending : 0,
    unaccountedRefs: ended ? pendingRefs : [],
    steps,
    reasons,
  };

  function tally(s: MemberStatus, rec: LedgerRecord | undefined, ref: string): void {
    if (s === 'pending') {
      pending++;
      if (pendingRefs.length < LISTED) pendingRefs.push(ref);
      return;
    }
    bump(outcomes, s);
    if ((s === 'denied' || s === 'failed' || s === 'not_eligible' || s === 'exited') && rec)
      for (const r of rec.reasons) bump(reasons, r);
  }
}
