import { z } from 'zod';
import { RetentionReview } from './review-retention.js';
import { CrossBorderRow } from './review-cross-border.js';

/** The report schema version; bump it (and keep readers of the old one) on any breaking change. */
export const REVIEW_REPORT_VERSION = 1;

/** How many offending entry ids an invariant lists; the count is always exact. */
export const MAX_LISTED_IDS = 100;

/** A review id: the UTC time the review started plus a short run suffix; safe as a file name and in a URL. */
export const ReviewId = z
  .string()
  .regex(/^\d{8}T\d{6}Z-[a-z0-9]{4,16}$/, 'review id must look like 20250131T120000Z-1a2b3c4d');
export type ReviewId = z.infer<typeof ReviewId>;

/** The invariants a review checks; each must be zero for the review to pass. */
export const InvariantCode = {
  send_without_allow: 'send_without_allow',
  field_outside_purpose: 'field_outside_purpose',
  send_after_withdrawal: 'send_after_withdrawal',
  send_outdated_notice: 'send_outdated_notice',
  processor_agreement_invalid: 'processor_agreement_invalid',
  delivery_without_decision: 'delivery_without_decision',
  unaccounted_subjects: 'unaccounted_subjects',
  policy_snapshot_missing: 'policy_snapshot_missing',
  cross_border_transfer_unlawful: 'cross_border_transfer_unlawful',
} as const;
export type InvariantCode = (typeof InvariantCode)[keyof typeof InvariantCode];

/** What each invariant means, shown next to it in the report. */
export const INVARIANT_TEXT: Readonly<Record<InvariantCode, string>> = {
  send_without_allow: 'Sent deliveries whose decisionId is not an allow decision earlier in the same chain',
  field_outside_purpose:
    "Allow decisions that released fields outside the purpose's allowed set (address field excepted)",
  send_after_withdrawal:
    'Sent deliveries whose decision came after a withdrawal for that purpose and channel was committed',
  send_outdated_notice:
    "Sent deliveries decided under a notice older than the purpose's minimum or the latest material notice then in force",
  processor_agreement_invalid: 'Sent deliveries through a processor with no agreement valid at the time of delivery',
  delivery_without_decision: 'Delivery entries (sent or failed) whose decisionId matches no decision entry',
  unaccounted_subjects:
    'Audience members of campaign runs closed in the period with no terminal outcome (sent, denied, held out, not eligible, exited, failed); listed by the run summary entry',
  cross_border_transfer_unlawful:
    "Sends and processor notices that moved a subject's data out of its jurisdiction without a transfer mechanism in force at decision time, or without a live separate consent, where that jurisdiction's rule requires it (PIPL 38-39)",
  policy_snapshot_missing:
    'Decisions whose recorded policy version has no stored snapshot, so they cannot be judged against the policy they were made under (the current policy judges them instead)',
};

const Count = z.number().int().min(0);
const Counts = z.record(z.string(), Count);
const Iso = z.iso.datetime({ precision: 3 });
const EntryId = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/);

/** A count with the first offending entry ids (never personal data). */
export const Finding = z.object({ count: Count, entryIds: z.array(EntryId).max(MAX_LISTED_IDS) });
export type Finding = z.infer<typeof Finding>;

/** Entry counts by outcome, the unit every breakdown uses. */
export const Tally = z.object({
  entries: Count,
  allow: Count,
  deny: Count,
  sent: Count,
  failed: Count,
  recorded: Count,
  // Run accounting outcomes; absent in reports written before they existed.
  held_out: Count.optional(),
  not_eligible: Count.optional(),
  exited: Count.optional(),
  summary: Count.optional(),
  // SMS delivery receipts; absent in reports written before SMS.
  delivered: Count.optional(),
  undelivered: Count.optional(),
});
export type Tally = z.infer<typeof Tally>;
const Tallies = z.record(z.string(), Tally);

/** Totals over the period. */
export const ReviewTotals = z.object({
  entries: Count,
  byKind: Counts,
  byOutcome: Counts,
  /** Denial reason codes of decision entries. */
  byReason: Counts,
  /** Delivery result codes (accepted, hard_bounce, …). */
  byDeliveryResult: Counts,
  /** Policy versions the decisions were made under. */
  byPolicyVersion: Counts,
  byPurpose: Tallies,
  byChannel: Tallies,
  byCampaign: Tallies,
  byProcessor: Tallies,
  /** `YYYY-MM-DD` (UTC). */
  byDay: Tallies,
  /** `YYYY-MM-DDTHH` (UTC). */
  byHour: Tallies,
  /** campaign → day → tally; feeds the anomaly baselines of later reviews. */
  byCampaignDay: z.record(z.string(), Tallies),
});
export type ReviewTotals = z.infer<typeof ReviewTotals>;

/** One invariant's result. */
export const InvariantResult = Finding.extend({ code: z.enum(InvariantCode), description: z.string() });
export type InvariantResult = z.infer<typeof InvariantResult>;

/** The chain verification the review ran. */
export const ChainResult = z.object({
  ok: z.boolean(),
  entries: Count,
  partitions: Count,
  segments: Count,
  breaks: z.array(z.object({ partition: Count, seq: Count, kind: z.string(), detail: z.string() })),
});
export type ChainResult = z.infer<typeof ChainResult>;

/** Consent health at review time. */
export const ConsentHealth = z.object({
  /** Allow decisions in the period that relied on a consent older than the purpose's maximum age. */
  staleReliedOn: Finding,
  /** Double opt-in grants never confirmed, over every known subject (counts only). */
  pendingDoubleOptIns: Count,
  subjectsScanned: Count,
  /** Notice versions of the allow decisions in the period. */
  noticeVersionsInDecisions: Counts,
  /** Notice versions of the current (latest per purpose and channel) grants of every known subject. */
  noticeVersionsInConsents: Counts,
});
export type ConsentHealth = z.infer<typeof ConsentHealth>;

/** What one processor received in the period and where its agreement stands. */
export const ProcessorReview = z.object({
  id: z.string(),
  agreementId: z.string().nullable(),
  agreementValidUntil: Iso.nullable(),
  /** Whole days from the report time to the agreement's end; negative once lapsed. */
  daysToExpiry: z.number().int().nullable(),
  expiringWithin30Days: z.boolean(),
  expired: z.boolean(),
  sends: Count,
  /** purpose → sends and field name → times released; names and counts, never values. */
  received: z.record(z.string(), z.object({ sends: Count, fields: Counts })),
});
export type ProcessorReview = z.infer<typeof ProcessorReview>;

/** Subject requests (DSAR) seen through Temporal visibility. */
/** One secret's state at review time: key id, age and last rotation (never key material). */
export const KeyStatus = z.object({
  key: z.string(),
  id: z.string(),
  ageDays: z.number().int().nullable(),
  lastRotatedAt: z.iso.datetime().nullable(),
  previous: z.number().int(),
});
export type KeyStatus = z.infer<typeof KeyStatus>;

export const SubjectRequestSummary = z.object({
  available: z.boolean(),
  open: Count,
  completed: Count,
  overdue: Count,
  other: Count,
  note: z.string(),
});
export type SubjectRequestSummary = z.infer<typeof SubjectRequestSummary>;

/** Who did what as an operator in the period (accountability), and the consents staff typed in, per actor. */
export const OperatorActions = z.object({
  total: Count,
  /** actor → action code → count. */
  byActor: z.record(z.string(), Counts),
  /** actor → consents recorded by staff (method staff), which never count as the subject's own act. */
  staffConsentsByActor: Counts,
});
export type OperatorActions = z.infer<typeof OperatorActions>;

/** A campaign day far from its recent baseline. */
export const Anomaly = z.object({
  campaignId: z.string(),
  day: z.string(),
  metric: z.enum(['deny_rate', 'send_volume']),
  value: z.number(),
  baselineMean: z.number(),
  baselineStdev: z.number(),
  baselineDays: Count,
  zScore: z.number(),
});
export type Anomaly = z.infer<typeof Anomaly>;

/** The periodic compliance review: stable, versioned, validated before it is written. */
export const ReviewReport = z.object({
  v: z.literal(REVIEW_REPORT_VERSION),
  id: ReviewId,
  status: z.enum(['pass', 'fail']),
  /** Why it failed: invariant codes with a non-zero count, and `chain_broken`. */
  failures: z.array(z.string()),
  period: z.object({ since: Iso, until: Iso }),
  generatedAt: Iso,
  policyVersion: z.string(),
  notes: z.array(z.string()),
  totals: ReviewTotals,
  invariants: z.array(InvariantResult),
  chain: ChainResult,
  consent: ConsentHealth,
  processors: z.array(ProcessorReview),
  subjectRequests: SubjectRequestSummary,
  anomalies: z.object({ method: z.string(), items: z.array(Anomaly) }),
  /** Per processor and source jurisdiction: sends, notices, field names and the transfer mechanisms relied on. */
  crossBorder: z.array(CrossBorderRow).default([]),
  /** Each key's age and last rotation; reports written before keys had ids have none. */
  keys: z.array(KeyStatus).default([]),
  /** Operator actions by actor; reports written before they were counted have none. */
  operatorActions: OperatorActions.default({ total: 0, byActor: {}, staffConsentsByActor: {} }),
  /** What retention removed in the period and which classes hold overdue data; reports written before it have none. */
  retention: RetentionReview.optional(),
  /** The decision-log entry that recorded this review. */
  logEntryId: EntryId.nullable(),
});
export type ReviewReport = z.infer<typeof ReviewReport>;

/** One line of the report list: enough to pick a report without opening it. */
export interface ReportSummary {
  readonly id: string;
  readonly status: 'pass' | 'fail';
  readonly period: { readonly since: string; readonly until: string };
  readonly generatedAt: string;
  readonly entries: number;
  readonly violations: number;
  readonly chainBreaks: number;
  readonly anomalies: number;
  readonly failures: readonly string[];
  readonly jsonPath: string;
  readonly htmlPath: string;
}
