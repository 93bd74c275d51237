import type { ConsentEvent } from './consent.js';
import type { LogEntry } from './decision-log.js';
import type { CompiledPolicy } from './policy.js';
import { bucketOf } from './review-anomalies.js';
import {
  addMove,
  PROCESSOR_NOTICE_STEP,
  transferFacts,
  type TransferFacts,
  UNRECORDED,
} from './review-cross-border.js';
import { actionOf, actorOf } from './operator-action.js';
import type { DecisionFacts } from './review-checks.js';
import { checkAllow, checkRun, checkSend, note } from './review-invariants.js';
import type { Tally } from './review-report.js';
import { emptyTally, type ReviewState } from './review-state.js';

/** What the accumulator may ask the outside world; the activity adapts the log and the consent store to it. */
export interface ReviewLookups {
  /** A decision entry by id in the subject's chain (sealed or older than the period), or null when there is none. */
  findDecision(subjectRef: string, decisionId: string): Promise<LogEntry | null>;
  /** The subject's consent events, oldest first. */
  consentEvents(subjectRef: string): Promise<readonly ConsentEvent[]>;
  /** The policy snapshot of a version, or null when none was kept; without it every decision is judged by the current policy. */
  policyAt?(version: string): Promise<CompiledPolicy | null>;
}

/** Allow decisions awaiting their delivery are kept up to this many; older ones are found again through `findDecision`. */
export const MAX_PENDING_DECISIONS = 20_000;

const bump = (m: Record<string, number>, k: string, n = 1) => void (m[k] = (m[k] ?? 0) + n);
const NONE = '(none)';

function tally(m: Record<string, Tally>, key: string | null, e: LogEntry): void {
  const t = (m[key ?? NONE] ??= emptyTally());
  t.entries++;
  t[e.outcome] = (t[e.outcome] ?? 0) + 1;
}

const facts = (e: LogEntry): DecisionFacts => ({
  id: e.id,
  partition: e.partition,
  seq: e.seq,
  at: e.at,
  outcome: e.outcome,
  subjectRef: e.subjectRef,
  purpose: e.purpose,
  channel: e.channel,
  noticeVersion: e.noticeVersion,
  consentEventId: e.consentEventId,
  fieldsReleased: e.fieldsReleased,
  policyVersion: e.policyVersion,
  transfer: transferFacts(e),
});

/**
 * Consumes the period's entries page by page (oldest first, as the log streams them) and keeps only totals,
 * capped id lists and the allow decisions still waiting for their delivery, never the entries themselves.
 */
export class ReviewAccumulator {
  private readonly pending: Map<string, DecisionFacts>;
  private readonly snapshots = new Map<string, Promise<CompiledPolicy | null>>();

  constructor(
    private readonly policy: CompiledPolicy,
    readonly state: ReviewState,
  ) {
    this.pending = new Map(state.pending.map((d) => [d.id, d]));
  }

  /** Folds in entries from before the period: they only feed the anomaly baseline. */
  addBaselinePage(entries: readonly LogEntry[]): void {
    for (const e of entries) this.bucket(e);
  }

  private bucket(e: LogEntry): void {
    tally((this.state.buckets[e.campaignId ?? NONE] ??= {}), String(bucketOf(Date.parse(e.at), this.state.sinceMs)), e);
  }

  /** Folds one page in; consent histories of the subjects it touches are fetched once per page. */
  async addPage(entries: readonly LogEntry[], lookups: ReviewLookups): Promise<void> {
    const refs = new Set(entries.filter((e) => e.outcome === 'allow' || e.outcome === 'sent').map((e) => e.subjectRef));
    const events = new Map(await Promise.all([...refs].map(async (r) => [r, await lookups.consentEvents(r)] as const)));
    for (const e of entries) await this.add(e, events.get(e.subjectRef) ?? [], lookups);
    this.state.pending = [...this.pending.values()];
  }

  private async add(e: LogEntry, events: readonly ConsentEvent[], lookups: ReviewLookups): Promise<void> {
    const s = this.state;
    s.entries++;
    bump(s.byKind, e.kind);
    bump(s.byOutcome, e.outcome);
    tally(s.byPurpose, e.purpose, e);
    tally(s.byChannel, e.channel, e);
    tally(s.byCampaign, e.campaignId, e);
    tally(s.byProcessor, e.processor, e);
    tally(s.byDay, e.at.slice(0, 10), e);
    tally(s.byHour, e.at.slice(0, 13), e);
    tally((s.byCampaignDay[e.campaignId ?? NONE] ??= {}), e.at.slice(0, 10), e);
    this.bucket(e);
    if (e.kind === 'decision') await this.decision(e, events, lookups);
    if (e.kind === 'delivery') await this.delivery(e, events, lookups);
    if (e.kind === 'run') checkRun(this.state, e);
    if (e.kind === 'operator') bump(((this.state.operators ??= {})[actorOf(e) ?? NONE] ??= {}), actionOf(e) ?? NONE);
  }

  /**
   * The policy a decision was made under, from its snapshot. A decision with no policy version is a re-decision at
   * reservation (no guard run), judged by the current policy; a version with no snapshot is flagged when `flag` is set.
   */
  private async policyOf(
    version: string | null | undefined,
    lookups: ReviewLookups,
    flag?: string,
  ): Promise<CompiledPolicy> {
    if (lookups.policyAt === undefined || version == null || version === this.policy.version) return this.policy;
    let p = this.snapshots.get(version);
    if (p === undefined) this.snapshots.set(version, (p = lookups.policyAt(version)));
    const found = await p;
    if (found === null && flag !== undefined)
      note((this.state.invariants.policy_snapshot_missing ??= { count: 0, entryIds: [] }), flag);
    return found ?? this.policy;
  }

  private async decision(e: LogEntry, events: readonly ConsentEvent[], lookups: ReviewLookups): Promise<void> {
    const s = this.state;
    bump(s.byPolicyVersion, e.policyVersion ?? NONE);
    const policy = await this.policyOf(e.policyVersion, lookups, e.id);
    if (e.outcome === 'deny') for (const r of e.reasons) bump(s.byReason, r);
    if (e.outcome !== 'allow') return;
    // A processor notice is no message: no purpose allow-list or delivery to match, only the move it made.
    if (e.stepId === PROCESSOR_NOTICE_STEP)
      return this.move(policy, e.id, e.processor, e.at, e.fieldsReleased, transferFacts(e), true, events);
    bump(s.noticeVersionsInDecisions, e.noticeVersion ?? NONE);
    checkAllow(s, policy, e, events);
    this.pending.set(e.id, facts(e));
    // Oldest first: evicted decisions are still found through the log, only more slowly.
    while (this.pending.size > MAX_PENDING_DECISIONS) this.pending.delete(this.pending.keys().next().value!);
  }

  private async delivery(e: LogEntry, events: readonly ConsentEvent[], lookups: ReviewLookups): Promise<void> {
    const s = this.state;
    bump(s.byDeliveryResult, e.result ?? NONE);
    let d: DecisionFacts | undefined = e.decisionId === null ? undefined : this.pending.get(e.decisionId);
    if (d) this.pending.delete(d.id);
    else if (e.decisionId !== null) {
      const found = await lookups.findDecision(e.subjectRef, e.decisionId);
      d = found && found.kind === 'decision' ? facts(found) : undefined;
    }
    if (d === undefined) note(s.invariants.delivery_without_decision, e.id);
    if (e.outcome !== 'sent') return;
    // Judged under the policy the authorising decision was made under (its snapshot was flagged there if missing).
    const policy = await this.policyOf(d?.policyVersion, lookups);
    checkSend(s, policy, e, d, events);
    if (d === undefined) return;
    const proc = (s.received[e.processor ?? NONE] ??= { sends: 0, purposes: {} });
    proc.sends++;
    const byPurpose = (proc.purposes[d.purpose ?? NONE] ??= { sends: 0, fields: {} });
    byPurpose.sends++;
    for (const f of d.fieldsReleased) bump(byPurpose.fields, f);
    // Decisions parked before the transfer columns were kept have none: judged as not recorded.
    this.move(policy, e.id, e.processor, d.at, d.fieldsReleased, d.transfer ?? UNRECORDED, false, events);
  }

  private move(
    policy: CompiledPolicy,
    entryId: string,
    processor: string | null,
    decidedAt: string,
    fields: readonly string[],
    facts: TransferFacts,
    notice: boolean,
    events: readonly ConsentEvent[],
  ): void {
    const flag = (id: string) =>
      note((this.state.invariants.cross_border_transfer_unlawful ??= { count: 0, entryIds: [] }), id);
    addMove(
      (this.state.crossBorder ??= {}),
      flag,
      policy,
      { entryId, processor, decidedAt, fields, facts, notice },
      events,
    );
  }
}
