import type { LogEntryInput } from './decision-log.js';
import type { SubjectRef } from './ids.js';
import type { CompiledPolicy } from './policy.js';
import { anomalyMethod, detectAnomalies, type AnomalyOptions } from './review-anomalies.js';
import type { ReviewState } from './review-state.js';
import {
  INVARIANT_TEXT,
  InvariantCode,
  REVIEW_REPORT_VERSION,
  ReviewReport,
  type ChainResult,
  type KeyStatus,
  type OperatorActions,
  type ProcessorReview,
  type SubjectRequestSummary,
} from './review-report.js';
import { OperatorAction } from './operator-action.js';
import type { RetentionReview } from './review-retention.js';
import { crossBorderSection } from './review-cross-border.js';

/** The pseudonymous subject of review entries: the log requires a subjectRef, and a review concerns no person. */
export const REVIEW_SUBJECT_REF = 'sr_system_review_00000000' as SubjectRef;

/** What a review learns outside the period's log pages. */
export interface ReviewExtras {
  readonly id: string;
  readonly generatedAt: Date;
  readonly policy: CompiledPolicy;
  readonly chain: ChainResult;
  readonly consent: {
    readonly pendingDoubleOptIns: number;
    readonly subjectsScanned: number;
    readonly noticeVersionsInConsents: Readonly<Record<string, number>>;
  };
  readonly subjectRequests: SubjectRequestSummary;
  readonly keys?: readonly KeyStatus[];
  readonly retention?: RetentionReview;
  readonly logEntryId: string | null;
  readonly anomalies?: AnomalyOptions;
}

const DAY_MS = 86_400_000;

function processorReviews(state: ReviewState, policy: CompiledPolicy, nowMs: number): ProcessorReview[] {
  const known = [...policy.processors.values()].map((cp): ProcessorReview => {
    const until = Number.isFinite(cp.validUntilMs) ? cp.validUntilMs : null;
    const days = until === null ? null : Math.floor((until - nowMs) / DAY_MS);
    const r = state.received[cp.processor.id];
    return {
      id: cp.processor.id,
      agreementId: cp.processor.agreementId ?? null,
      agreementValidUntil: until === null ? null : new Date(until).toISOString(),
      daysToExpiry: days,
      expiringWithin30Days: until !== null && until > nowMs && until - nowMs <= 30 * DAY_MS,
      expired: !cp.hasAgreement || (until !== null && until <= nowMs),
      sends: r?.sends ?? 0,
      received: r?.purposes ?? {},
    };
  });
  // A processor that received sends but is not in the policy still has to show up.
  const unknown = Object.entries(state.received)
    .filter(([id]) => !policy.processors.has(id))
    .map(([id, r]): ProcessorReview => ({
      id,
      agreementId: null,
      agreementValidUntil: null,
      daysToExpiry: null,
      expiringWithin30Days: false,
      expired: true,
      sends: r.sends,
      received: r.purposes,
    }));
  return [...known, ...unknown];
}

function operatorActions(state: ReviewState): OperatorActions {
  const byActor = state.operators ?? {};
  const sum = (m: Readonly<Record<string, number>>) => Object.values(m).reduce((a, n) => a + n, 0);
  const staff = Object.entries(byActor).flatMap(([actor, m]) =>
    m[OperatorAction.consent_recorded_by_staff] ? [[actor, m[OperatorAction.consent_recorded_by_staff]!] as const] : [],
  );
  return {
    total: sum(Object.fromEntries(Object.entries(byActor).map(([a, m]) => [a, sum(m)]))),
    byActor,
    staffConsentsByActor: Object.fromEntries(staff),
  };
}

/** Turns the accumulated state and the extras into the validated report; a schema failure here is a bug. */
export function buildReviewReport(state: ReviewState, x: ReviewExtras): ReviewReport {
  const invariants = Object.values(InvariantCode).map((code) => ({
    code,
    description: INVARIANT_TEXT[code],
    ...(state.invariants[code] ?? { count: 0, entryIds: [] }),
  }));
  const failures = [
    ...invariants.filter((i) => i.count > 0).map((i) => i.code),
    ...(x.chain.ok ? [] : ['chain_broken']),
    ...(x.retention?.violations.length ? ['retention_overdue'] : []),
  ];
  const otherPolicies = Object.entries(state.byPolicyVersion)
    .filter(([v]) => v !== x.policy.version)
    .reduce((a, [, n]) => a + n, 0);
  return ReviewReport.parse({
    v: REVIEW_REPORT_VERSION,
    id: x.id,
    status: failures.length ? 'fail' : 'pass',
    failures,
    period: { since: new Date(state.sinceMs).toISOString(), until: new Date(state.untilMs).toISOString() },
    generatedAt: x.generatedAt.toISOString(),
    policyVersion: x.policy.version,
    notes: [
      `Allowed fields, notices and agreements are judged against the policy version each decision recorded, from its stored snapshot; ${otherPolicies} decision(s) in the period were made under another version than the current ${x.policy.version.slice(0, 12)}, and a decision whose snapshot is missing is listed under policy_snapshot_missing and judged by the current one.`,
      'Chain verification covers every chain from its first entry to its head, not only the period.',
      'Offending entries are listed by log entry id (the delivery for send invariants, the decision for released fields); at most 100 ids per finding, the count is exact.',
    ],
    totals: {
      entries: state.entries,
      byKind: state.byKind,
      byOutcome: state.byOutcome,
      byReason: state.byReason,
      byDeliveryResult: state.byDeliveryResult,
      byPolicyVersion: state.byPolicyVersion,
      byPurpose: state.byPurpose,
      byChannel: state.byChannel,
      byCampaign: state.byCampaign,
      byProcessor: state.byProcessor,
      byDay: state.byDay,
      byHour: state.byHour,
      byCampaignDay: state.byCampaignDay,
    },
    invariants,
    chain: x.chain,
    consent: {
      staleReliedOn: state.staleReliedOn,
      noticeVersionsInDecisions: state.noticeVersionsInDecisions,
      ...x.consent,
    },
    processors: processorReviews(state, x.policy, x.generatedAt.getTime()),
    subjectRequests: x.subjectRequests,
    crossBorder: crossBorderSection(state.crossBorder),
    keys: [...(x.keys ?? [])],
    operatorActions: operatorActions(state),
    ...(x.retention === undefined ? {} : { retention: x.retention }),
    anomalies: {
      method: anomalyMethod(x.anomalies),
      items: detectAnomalies(state.buckets, state.sinceMs, state.untilMs, x.anomalies),
    },
    logEntryId: x.logEntryId,
  });
}

/** The decision-log entry that records a review, so audits are themselves audited; counts go in `result`. */
export function reviewLogEntry(r: ReviewReport, run: { workflowId: string; runId: string }): LogEntryInput {
  const violations = r.invariants.reduce((a, i) => a + i.count, 0);
  return {
    subjectRef: REVIEW_SUBJECT_REF,
    kind: 'review',
    outcome: 'recorded',
    workflowId: run.workflowId,
    runId: run.runId,
    stepId: 'review',
    policyVersion: r.policyVersion,
    result: `${r.status} review=${r.id} since=${r.period.since} until=${r.period.until} entries=${r.totals.entries} violations=${violations} chain_breaks=${r.chain.breaks.length}`,
    reasons: r.failures.map((f) => (f === 'chain_broken' || f === 'retention_overdue' ? f : `invariant_${f}`)),
    at: r.generatedAt,
  };
}
