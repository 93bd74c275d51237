import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ConsentEvent } from '../domain/consent.js';
import type { AlertInput } from '../domain/alert.js';
import type { LogEntry } from '../domain/decision-log.js';
import { SubjectRef } from '../domain/ids.js';
import type { CompiledPolicy } from '../domain/policy.js';
import { currentGrantNotices, pendingDoubleOptIns, ulidTime } from '../domain/review-checks.js';
import { buildReviewReport, reviewLogEntry } from '../domain/review-finish.js';
import type {
  ChainResult,
  KeyStatus,
  ReportSummary,
  ReviewReport,
  SubjectRequestSummary,
} from '../domain/review-report.js';
import type { RetentionReview } from '../domain/review-retention.js';
import { ReviewAccumulator, type ReviewLookups } from '../domain/review.js';
import { emptyReviewState } from '../domain/review-state.js';
import type { LogQuery, QueryPage } from '../infra/redis/decision-log-query.js';
import type { AppendLog } from './send-pipeline.js';
import type { VerifyOptions, VerifyReport } from '../infra/redis/decision-log-verify.js';
import type { ParkedReview, ReviewStateStore } from '../infra/redis/review-state-store.js';

/** What review activities need; the worker wires the real log, stores and report directory. */
export interface ReviewActivityDeps {
  readonly reviewLog: {
    queryPage(q: LogQuery, limit: number, cursor?: string): Promise<QueryPage>;
    query(q: LogQuery): AsyncIterable<LogEntry>;
    verify(o?: VerifyOptions): Promise<VerifyReport>;
  };
  readonly reviewStates: Pick<ReviewStateStore, 'load' | 'save' | 'delete'>;
  readonly consentEvents: (ref: SubjectRef) => Promise<readonly ConsentEvent[]>;
  readonly pageSubjects: (
    cursor: string,
    count: number,
  ) => Promise<{ readonly cursor: string; readonly refs: readonly SubjectRef[] }>;
  readonly policy: () => CompiledPolicy;
  /** Policy snapshots by version, so each decision is judged by the policy it was made under. */
  readonly policyAt?: (version: string) => Promise<CompiledPolicy | null>;
  readonly appendLog: AppendLog;
  readonly reviewReports: {
    write(report: ReviewReport): Promise<ReportSummary>;
    read(id: string): Promise<ReviewReport | null>;
    summarize(report: ReviewReport): ReportSummary;
  };
  readonly subjectRequests: (now: Date) => Promise<SubjectRequestSummary>;
  /** Each key's age and last rotation at `now`. */
  readonly keyStatus?: (now: Date) => KeyStatus[];
  /** Log entries per page and how long one activity call keeps paging before it hands back to the workflow. */
  readonly reviewPageSize?: number;
  readonly reviewSliceMs?: number;
  /** Raises an alert (de-duplicated by its key); a failed review is one. */
  readonly raiseAlert?: (a: AlertInput) => Promise<'raised' | 'duplicate'>;
}

const DAY_MS = 86_400_000;

/** The alert of a failed review: what failed and where the report is, no personal data. */
function reviewFailAlert(s: ReportSummary): AlertInput {
  return {
    v: 1,
    kind: 'review_fail',
    key: `review_fail:${s.id}`.replace(/[^A-Za-z0-9:._-]/g, '_'),
    text: `Compliance review ${s.id} (${s.period.since} to ${s.period.until}) FAILED: ${s.failures.join(', ') || 'see the report'}. Read it with \`consentflow review show ${s.id}\`.`.slice(
      0,
      500,
    ),
    at: s.generatedAt,
    facts: { review: s.id, violations: s.violations, chain_breaks: s.chainBreaks, anomalies: s.anomalies },
  };
}
// A decision's ULID carries its append time, never earlier than its `at`: search a little before it.
const ID_LOOKBACK_MS = 10 * 60_000;

function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // outside an activity (unit use)
  }
}

function lookups(deps: ReviewActivityDeps): ReviewLookups {
  return {
    async findDecision(subjectRef, decisionId) {
      const t = ulidTime(decisionId);
      if (t === null) return null;
      for await (const e of deps.reviewLog.query({
        subjectRef,
        kind: 'decision',
        since: new Date(t - ID_LOOKBACK_MS),
        until: new Date(t + 1),
      }))
        if (e.id === decisionId) return e;
      return null;
    },
    // Refs come from log entries: one that is no pseudonym has no consent on record, so its sends are flagged.
    consentEvents: async (ref) => {
      const parsed = SubjectRef.safeParse(ref);
      return parsed.success ? deps.consentEvents(parsed.data) : [];
    },
    ...(deps.policyAt === undefined ? {} : { policyAt: deps.policyAt }),
  };
}

/** Applies one page of whatever phase the review is in; returns the next parked value. */
async function step(deps: ReviewActivityDeps, parked: ParkedReview, pageSize: number): Promise<ParkedReview> {
  const { progress: p, state } = parked;
  const acc = new ReviewAccumulator(deps.policy(), state);
  if (p.phase === 'baseline' || p.phase === 'period') {
    const range =
      p.phase === 'baseline'
        ? { since: new Date(state.sinceMs - p.baselineDays * DAY_MS), until: new Date(state.sinceMs) }
        : { since: new Date(state.sinceMs), until: new Date(state.untilMs) };
    const page = await deps.reviewLog.queryPage(range, pageSize, p.logCursor ?? undefined);
    if (p.phase === 'baseline') acc.addBaselinePage(page.entries);
    else await acc.addPage(page.entries, lookups(deps));
    const next = page.cursor === null ? (p.phase === 'baseline' ? 'period' : 'consent') : p.phase;
    return { state: acc.state, progress: { ...p, phase: next, page: p.page + 1, logCursor: page.cursor } };
  }
  if (p.phase === 'consent') {
    const { cursor, refs } = await deps.pageSubjects(p.subjectCursor, pageSize);
    const c = { ...p.consent, noticeVersionsInConsents: { ...p.consent.noticeVersionsInConsents } };
    for (const events of await Promise.all(refs.map((r) => deps.consentEvents(r)))) {
      c.subjectsScanned++;
      c.pendingDoubleOptIns += pendingDoubleOptIns(events);
      for (const v of currentGrantNotices(events))
        c.noticeVersionsInConsents[String(v)] = (c.noticeVersionsInConsents[String(v)] ?? 0) + 1;
    }
    return {
      state,
      progress: {
        ...p,
        phase: cursor === '0' ? 'done' : 'consent',
        page: p.page + 1,
        subjectCursor: cursor,
        consent: c,
      },
    };
  }
  return parked;
}

/** Review activities: paged reading into parked state, chain verification, subject requests, and the final report. */
export function createReviewActivities(deps: ReviewActivityDeps) {
  const pageSize = deps.reviewPageSize ?? 500;
  const sliceMs = deps.reviewSliceMs ?? 20_000;

  async function parkedOrFail(id: string): Promise<ParkedReview> {
    const parked = await deps.reviewStates.load(id);
    if (!parked)
      throw ApplicationFailure.create({
        type: 'ReviewStateMissingFailure',
        nonRetryable: true,
        message: `review ${id} has no parked state (expired or never begun); run the review again`,
      });
    return parked;
  }

  return {
    /** Parks a fresh state for the review; a repeated call keeps what is already there. */
    async beginReview(input: { id: string; sinceMs: number; untilMs: number; baselineDays: number }): Promise<void> {
      const progress = {
        phase: input.baselineDays > 0 ? 'baseline' : 'period',
        page: 0,
        logCursor: null,
        subjectCursor: '0',
        baselineDays: input.baselineDays,
        consent: { pendingDoubleOptIns: 0, subjectsScanned: 0, noticeVersionsInConsents: {} },
        logEntryId: null,
        generatedAt: null,
      } as const;
      await deps.reviewStates.save(input.id, null, {
        progress,
        state: emptyReviewState({ sinceMs: input.sinceMs, untilMs: input.untilMs }),
      });
    },

    /** Reads pages for a slice of time, parking state after each; only the phase and counts go back to the workflow. */
    async reviewPages(input: {
      id: string;
    }): Promise<{ phase: string; pages: number; entries: number; done: boolean }> {
      let parked = await parkedOrFail(input.id);
      const until = Date.now() + sliceMs;
      // At least one page per call, then as many as fit in the slice.
      while (parked.progress.phase !== 'done') {
        const next = await step(deps, parked, pageSize);
        // Another attempt of this activity moved on: its state wins, this one stops.
        if (!(await deps.reviewStates.save(input.id, parked.progress.page, next))) break;
        parked = next;
        heartbeat({ page: parked.progress.page });
        if (Date.now() >= until) break;
      }
      return {
        phase: parked.progress.phase,
        pages: parked.progress.page,
        entries: parked.state.entries,
        done: parked.progress.phase === 'done',
      };
    },

    /** Verifies every chain (recording the witness when it holds); breaks come back with position and kind. */
    async verifyReviewChain(): Promise<ChainResult> {
      const r = await deps.reviewLog.verify({ recordWitness: true, onProgress: (p) => heartbeat(p) });
      return {
        ok: r.ok,
        entries: r.entries,
        partitions: r.partitions,
        segments: r.segments,
        breaks: r.breaks
          .slice(0, 100)
          .map((b) => ({ partition: b.partition, seq: b.seq, kind: b.kind, detail: b.detail })),
      };
    },

    /** Open, completed and overdue subject requests right now. */
    async reviewSubjectRequests(): Promise<SubjectRequestSummary> {
      return deps.subjectRequests(new Date());
    },

    /** Builds the report, records the review in the decision log (once), writes JSON and HTML, and drops the parked state. */
    async finishReview(input: {
      id: string;
      chain: ChainResult;
      subjectRequests: SubjectRequestSummary;
      retention?: RetentionReview;
      workflowId: string;
      runId: string;
    }): Promise<ReportSummary> {
      const parked = await deps.reviewStates.load(input.id);
      if (!parked) {
        // A retry after the files were written and the state dropped: the report is the answer.
        const done = await deps.reviewReports.read(input.id);
        if (done) return deps.reviewReports.summarize(done);
        throw ApplicationFailure.create({
          type: 'ReviewStateMissingFailure',
          nonRetryable: true,
          message: `review ${input.id} has neither parked state nor a report; run the review again`,
        });
      }
      let { progress } = parked;
      const extras = {
        id: input.id,
        policy: deps.policy(),
        chain: input.chain,
        consent: progress.consent,
        subjectRequests: input.subjectRequests,
        keys: deps.keyStatus?.(new Date()) ?? [],
        ...(input.retention === undefined ? {} : { retention: input.retention }),
      };
      if (progress.logEntryId === null) {
        const generatedAt = new Date();
        const draft = buildReviewReport(parked.state, { ...extras, generatedAt, logEntryId: null });
        const [entry] = await deps.appendLog([reviewLogEntry(draft, input)]);
        progress = {
          ...progress,
          logEntryId: entry!.id,
          generatedAt: generatedAt.toISOString(),
          page: progress.page + 1,
        };
        await deps.reviewStates.save(input.id, parked.progress.page, { state: parked.state, progress });
      }
      const report = buildReviewReport(parked.state, {
        ...extras,
        generatedAt: new Date(progress.generatedAt!),
        logEntryId: progress.logEntryId,
      });
      const summary = await deps.reviewReports.write(report);
      if (summary.status === 'fail') await deps.raiseAlert?.(reviewFailAlert(summary));
      await deps.reviewStates.delete(input.id);
      return summary;
    },
  };
}
