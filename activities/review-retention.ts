import { Context } from '@temporalio/activity';
import { consentEventsPastRetention } from '../domain/consent-retention.js';
import type { LogEntry } from '../domain/decision-log.js';
import { profileRetentionDue, retentionCutoffMs, type RetentionClass } from '../domain/retention.js';
import {
  buildRetentionReview,
  RETENTION_GRACE_DAYS,
  type OverdueHoldings,
  type RetentionReview,
} from '../domain/review-retention.js';
import type { LogQuery } from '../infra/redis/decision-log-query.js';
import { policyOfRecord } from './content.js';
import type { RetentionActivityDeps } from './retention.js';
import { runStateDue } from './retention-runs.js';

type Held = { count: number; oldestMs: number | null };

/** How the review sees what the stores hold past a cut-off, for the classes that need no subject scan. */
export interface HeldPorts {
  readonly logHeldBefore: (cutoff: Date) => Promise<Held>;
  readonly filesHeldBefore: (
    cls: Extract<RetentionClass, 'access_bundle' | 'report'>,
    cutoffMs: number,
  ) => Promise<Held>;
}

/** What the review's retention section reads. */
export type ReviewRetentionDeps = HeldPorts &
  Pick<
    RetentionActivityDeps,
    | 'policy'
    | 'content'
    | 'pageSubjects'
    | 'loadGuardStates'
    | 'consentHistory'
    | 'ledgerPages'
    | 'ledgerInUse'
    | 'runPages'
    | 'runInUse'
    | 'now'
  > & {
    readonly reviewLog: { query(q: LogQuery): AsyncIterable<LogEntry> };
  };

function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // outside an activity (unit use)
  }
}

const add = (h: Held, ms: number): Held => ({ count: h.count + 1, oldestMs: Math.min(h.oldestMs ?? Infinity, ms) });

/** The review's retention activity: removals logged in the period, and data held past retention plus grace. */
export function createReviewRetentionActivities(deps: ReviewRetentionDeps) {
  return {
    async reviewRetention(input: { readonly sinceMs: number; readonly untilMs: number }): Promise<RetentionReview> {
      const entries: LogEntry[] = [];
      for await (const e of deps.reviewLog.query({
        kind: 'operator',
        since: new Date(input.sinceMs),
        until: new Date(input.untilMs),
      }))
        if (e.stepId === 'retention') entries.push(e);
      // The policy of record, as the retention run applies it, so the two never judge different windows.
      const r = (await policyOfRecord(deps)).bundle.retention;
      // Judged as of `grace` days ago: what a run that stopped since then would have left is overdue now.
      const asOf = deps.now().getTime() - RETENTION_GRACE_DAYS * 86_400_000;
      const cut = (days: number) => retentionCutoffMs(asOf, days);
      let profile: Held = { count: 0, oldestMs: null };
      let consent: Held = { count: 0, oldestMs: null };
      let cursor = '0';
      do {
        const page = await deps.pageSubjects(cursor, 250);
        cursor = page.cursor;
        const states = await deps.loadGuardStates(page.refs);
        for (const [i, ref] of page.refs.entries()) {
          const s = states[i];
          if (s === undefined || s.loadError !== undefined) continue;
          const answers = Object.values(s.consent);
          if (!s.erased && profileRetentionDue(answers, r, asOf) !== undefined)
            profile = add(profile, Math.max(...answers.map((a) => Date.parse(a.occurredAt))));
          const history = await deps.consentHistory(ref);
          for (const e of consentEventsPastRetention(
            (history ?? []).map((h) => h.event),
            r.consentEventsDays,
            asOf,
          ))
            consent = add(consent, Date.parse(e.occurredAt));
        }
        heartbeat({ cursor });
      } while (cursor !== '0');
      let ledger: Held = { count: 0, oldestMs: null };
      const inUse = new Map<string, Promise<boolean>>();
      const used = (workflowId: string, runId: string | undefined) => {
        const k = `${workflowId}|${runId ?? ''}`;
        if (!inUse.has(k)) inUse.set(k, deps.ledgerInUse(workflowId, runId));
        return inUse.get(k)!;
      };
      for await (const page of deps.ledgerPages()) {
        for (const f of page)
          if (Date.parse(f.record.at) < cut(r.sendLedgerDays) && !(await used(f.workflowId, f.record.runId)))
            ledger = add(ledger, Date.parse(f.record.at));
        heartbeat({ phase: 'send_ledger' });
      }
      let runs: Held = { count: 0, oldestMs: null };
      for await (const page of deps.runPages()) {
        for (const run of page)
          if (runStateDue(run, cut(r.sendLedgerDays)) && !(await deps.runInUse(run)))
            runs = add(runs, Date.parse(run.finishedAt ?? run.startedAt));
        heartbeat({ phase: 'run_state' });
      }
      const held: OverdueHoldings = {
        profile,
        consent_events: consent,
        access_bundle: await deps.filesHeldBefore('access_bundle', cut(r.accessBundlesDays)),
        log_segment: await deps.logHeldBefore(new Date(cut(r.logSegmentsDays))),
        report: await deps.filesHeldBefore('report', cut(r.reportsDays)),
        send_ledger: ledger,
        run_state: runs,
      };
      return buildRetentionReview(entries, held, r, [
        `Overdue counts data past its retention by more than ${RETENTION_GRACE_DAYS} days, the margin of the daily retention run; the log's count in Redis stops at 1000 per chain.`,
      ]);
    },
  };
}
