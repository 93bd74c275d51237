import type { CrossBorderState } from './review-cross-border.js';
import type { DecisionFacts } from './review-checks.js';
import { InvariantCode, type Finding, type Tally } from './review-report.js';

/** The accumulator's whole state: plain JSON, so it can be parked between pages (Redis) and resumed anywhere. */
export interface ReviewState {
  sinceMs: number;
  untilMs: number;
  entries: number;
  byKind: Record<string, number>;
  byOutcome: Record<string, number>;
  byReason: Record<string, number>;
  byDeliveryResult: Record<string, number>;
  byPolicyVersion: Record<string, number>;
  byPurpose: Record<string, Tally>;
  byChannel: Record<string, Tally>;
  byCampaign: Record<string, Tally>;
  byProcessor: Record<string, Tally>;
  byDay: Record<string, Tally>;
  byHour: Record<string, Tally>;
  byCampaignDay: Record<string, Record<string, Tally>>;
  invariants: Record<InvariantCode, Finding>;
  staleReliedOn: Finding;
  noticeVersionsInDecisions: Record<string, number>;
  received: Record<
    string,
    { sends: number; purposes: Record<string, { sends: number; fields: Record<string, number> }> }
  >;
  /** campaign → 24-hour bucket from the period start (negative: baseline) → tally, for the anomaly check. */
  buckets: Record<string, Record<string, Tally>>;
  /** Allow decisions seen in the period and not yet matched by a delivery, oldest first. */
  pending: DecisionFacts[];
  /** actor → operator action → count; absent in states parked before operator actions were counted. */
  operators?: Record<string, Record<string, number>>;
  /** processor|jurisdiction → what moved and on which mechanism; absent in states parked before it existed. */
  crossBorder?: CrossBorderState;
}

const emptyFinding = (): Finding => ({ count: 0, entryIds: [] });
/** A tally with every outcome at zero. */
export const emptyTally = (): Tally => ({
  entries: 0,
  allow: 0,
  deny: 0,
  sent: 0,
  failed: 0,
  recorded: 0,
  held_out: 0,
  not_eligible: 0,
  exited: 0,
  summary: 0,
});

/** A fresh state for a new review. */
export function emptyReviewState(period: { sinceMs: number; untilMs: number }): ReviewState {
  const invariants = Object.fromEntries(Object.values(InvariantCode).map((c) => [c, emptyFinding()])) as Record<
    InvariantCode,
    Finding
  >;
  return {
    ...period,
    entries: 0,
    byKind: {},
    byOutcome: {},
    byReason: {},
    byDeliveryResult: {},
    byPolicyVersion: {},
    byPurpose: {},
    byChannel: {},
    byCampaign: {},
    byProcessor: {},
    byDay: {},
    byHour: {},
    byCampaignDay: {},
    invariants,
    staleReliedOn: emptyFinding(),
    noticeVersionsInDecisions: {},
    received: {},
    buckets: {},
    pending: [],
    operators: {},
    crossBorder: {},
  };
}
