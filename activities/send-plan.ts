import type { Decision } from '../domain/guard.js';
import { decideTemplatedSend } from '../domain/send-decision.js';
import type { SubjectRef } from '../domain/ids.js';
import type { CompiledPolicy } from '../domain/policy.js';
import type { GuardState } from '../domain/consent-state.js';
import type { LogEntryInput } from '../domain/decision-log.js';
import type { TemplateInfo, TemplatePort } from '../domain/template-port.js';
import { terminalFor, type LedgerRecord, type TerminalOutcome } from '../infra/redis/send-ledger.js';
import {
  decisionEntry,
  deliveryEntry,
  factKey,
  outcomeEntry,
  reservationDenialEntry,
  type SendSpec,
} from './send-entries.js';
import type { Delivery, SendState } from './send-ports.js';
import type { SendOutcome } from './send-outcome.js';

/** The guard's answer for one subject on one send step, with the template it would use. */
export interface SendDecision {
  readonly ref: SubjectRef;
  readonly decision: Decision;
  readonly template: TemplateInfo | undefined;
  /** Campaign-level denials on top of the guard's (frequency cap, missing template). */
  readonly extraReasons: string[];
}

/** Picks the template (generic fallback when personalisation is off) and runs the guard; the dry run shares it. */
export function decideSend(
  templates: TemplatePort,
  policy: CompiledPolicy,
  spec: Pick<SendSpec, 'campaignId' | 'stepId' | 'purpose' | 'channel' | 'processor' | 'templateId'>,
  ref: SubjectRef,
  state: GuardState,
  now: Date,
): SendDecision {
  return { ref, ...decideTemplatedSend((id) => templates.info(id), policy, spec, ref, state, now) };
}

/** A member settled before the guard: held out, not eligible for the audience, or exited. */
export interface Exclusion {
  readonly outcome: Extract<TerminalOutcome, 'held_out' | 'not_eligible' | 'exited'>;
  readonly reasons: readonly string[];
  readonly result?: string;
}

/** A member of a cancelled run that no send of it may reach: the reason every such member is logged with. */
export const RUN_CANCELLED: Exclusion = { outcome: 'not_eligible', reasons: ['run_cancelled'] };

/** A decision to append for one subject: a first one, or an explicit re-decision replacing the one of record. */
export interface NewDecision {
  readonly d: SendDecision;
  readonly epoch: number;
  /** Which decision entry of this run and step this is (2 and up only for an explicit re-decision). */
  readonly n: number;
  readonly replaces?: string;
  /** Why a re-decision was made (its log entry's result); a consent change unless said otherwise. */
  readonly why?: string;
}

/** A fact logged before any decision: an unlogged terminal outcome found on retry (relog), or an exclusion. */
export interface PlannedFact {
  readonly ref: SubjectRef;
  readonly entry: LogEntryInput;
  readonly key: string;
  readonly rec: LedgerRecord;
  readonly relog: boolean;
  /** A crashed attempt closed without a resend; its record is settled against what the log holds. */
  readonly settle?: boolean;
}

/** What a batch does for each member before the log: settled already, facts to log, decisions to make, resumed sends. */
export interface BatchPlan {
  readonly outcomes: Map<SubjectRef, SendOutcome>;
  readonly facts: PlannedFact[];
  readonly decisions: NewDecision[];
  readonly sendable: Delivery[];
}

/** A member's outcome as its ledger record states it. */
export const fromRecord = (ref: SubjectRef, rec: LedgerRecord): SendOutcome => ({
  subjectRef: ref,
  status: rec.outcome ?? 'failed',
  reasons: rec.reasons,
  decisionId: rec.decisionId,
  messageId: rec.messageId,
  smtpCode: rec.smtpCode,
});

/** The entry (and its fact key) that makes a terminal record visible in the log, for a retry that finds it unlogged. */
function terminalEntry(
  spec: SendSpec,
  ref: SubjectRef,
  rec: LedgerRecord,
): { entry: LogEntryInput; fact: string } | undefined {
  if (rec.outcome === 'sent' || rec.outcome === 'failed') {
    const entry = deliveryEntry(spec, ref, rec.decisionId, {
      outcome: rec.outcome,
      smtpCode: rec.smtpCode,
      messageId: rec.messageId,
      result: 'recovered_after_retry',
      reasons: rec.reasons,
    });
    return { entry, fact: 'delivery' };
  }
  if (rec.outcome === 'held_out' || rec.outcome === 'not_eligible' || rec.outcome === 'exited')
    return { entry: outcomeEntry(spec, ref, rec.outcome, rec.reasons), fact: 'outcome' };
  // An unlogged denial is the re-decision made at reservation (a first decision is logged before its record).
  if (rec.outcome === 'denied')
    return {
      entry: reservationDenialEntry(spec, ref, rec.decisionId, rec.at, rec.reasons),
      fact: `decision:${rec.decisions}`,
    };
  return undefined;
}

/** The language of the consent a send relies on: the notice the subject read is the language they get mail in. */
export function consentLanguage(state: GuardState | undefined, decision: Decision): string | undefined {
  if (!state || decision.consentEventId === null) return undefined;
  for (const e of Object.values(state.consent)) if (e?.id === decision.consentEventId) return e.language;
  return undefined;
}

/** A crashed reserved attempt closed as a failed delivery of its decision, without a resend. */
function closedUnsent(spec: SendSpec, ref: SubjectRef, mine: LedgerRecord, now: Date, reason: string, result: string) {
  const rec: LedgerRecord = {
    ...mine,
    state: 'closed',
    at: now.toISOString(),
    outcome: 'failed',
    reasons: [reason],
    logged: true,
  };
  const entry = deliveryEntry(spec, ref, mine.decisionId, {
    outcome: 'failed',
    result,
    messageId: mine.messageId,
    reasons: [reason],
  });
  return { ref, entry, key: factKey(spec, ref, 'delivery'), rec, relog: false, settle: true };
}

/**
 * Sorts every member of a batch by what its record and the guard say: settled already (maybe with its terminal
 * fact to relog), excluded, already sent, deferred and not due, resumed with its decision of record, or decided
 * (again). Frequency caps then deny what the window read with the guard state leaves no room for.
 */
export function planBatch(
  templates: TemplatePort,
  policy: CompiledPolicy,
  spec: SendSpec,
  refs: readonly SubjectRef[],
  loaded: ReadonlyMap<SubjectRef, SendState>,
  excluded: ReadonlyMap<SubjectRef, Exclusion>,
  dueOnly: boolean | undefined,
  now: Date,
): BatchPlan {
  const plan: BatchPlan = { outcomes: new Map(), facts: [], decisions: [], sendable: [] };
  const { outcomes, facts, decisions, sendable } = plan;
  const close = (
    ref: SubjectRef,
    outcome: Exclusion['outcome'],
    reasons: readonly string[],
    extra: Partial<LedgerRecord> = {},
    result?: string,
  ) => {
    const rec: LedgerRecord = {
      runId: spec.runId,
      state: 'closed',
      at: now.toISOString(),
      decisionId: '',
      decisions: 0,
      outcome,
      reasons: [...reasons],
      logged: true,
      deferrals: 0,
      sentBefore: false,
      ...extra,
    };
    facts.push({
      ref,
      entry: outcomeEntry(spec, ref, outcome, reasons, result),
      key: factKey(spec, ref, 'outcome'),
      rec,
      relog: false,
    });
  };

  for (const ref of refs) {
    const rec = loaded.get(ref)!.record;
    if (rec && terminalFor(rec, spec.runId)) {
      outcomes.set(ref, fromRecord(ref, rec));
      const t = rec.logged ? undefined : terminalEntry(spec, ref, rec);
      if (t) facts.push({ ref, entry: t.entry, key: factKey(spec, ref, t.fact), rec, relog: true });
      continue;
    }
    const ex = excluded.get(ref);
    if (ex) {
      close(ref, ex.outcome, ex.reasons, {}, ex.result);
      continue;
    }
    if (rec && (rec.sentBefore || (rec.runId !== spec.runId && rec.outcome === 'sent'))) {
      close(ref, 'not_eligible', ['already_sent'], { sentBefore: true });
      continue;
    }
    const mine = rec?.runId === spec.runId && (rec.state === 'decided' || rec.state === 'reserved') ? rec : undefined;
    if (mine && dueOnly && mine.deferrals > 0 && (mine.nextAttemptAt ?? 0) > now.getTime()) {
      outcomes.set(ref, {
        subjectRef: ref,
        status: 'deferred',
        reasons: mine.reasons,
        decisionId: mine.decisionId,
        nextAttemptAt: mine.nextAttemptAt,
      });
      continue;
    }
    const state = loaded.get(ref)!.state!;
    const d = decideSend(templates, policy, spec, ref, state, now);
    const epoch = state.epoch ?? 0;
    if (!mine) {
      decisions.push({ d, epoch, n: 1 });
      continue;
    }
    // The decision of record stands while nothing the guard reads has changed; otherwise it is re-decided, visibly.
    // It stands with the fields it released: a policy changed since must not widen or move what is read and sent.
    if (
      mine.decision === 'allow' &&
      d.decision.outcome === 'allow' &&
      d.extraReasons.length === 0 &&
      d.template &&
      mine.epoch === epoch
    ) {
      if (mine.fieldsReleased && mine.addressField) {
        const decision = { ...d.decision, fieldsReleased: mine.fieldsReleased };
        sendable.push({
          ref,
          decision,
          addressField: mine.addressField,
          decisionId: mine.decisionId,
          template: d.template,
          rec: mine,
          fresh: false,
          language: consentLanguage(state, d.decision),
        });
        continue;
      }
      // A record from before the released fields were kept: what it authorised is not known here, so it is not
      // sent on. A decided one is decided again, explicitly; a reserved one (a crash mid-send) is not resent.
      if (mine.state === 'decided')
        decisions.push({
          d,
          epoch,
          n: mine.decisions + 1,
          replaces: mine.decisionId,
          why: 'redecided_fields_not_recorded',
        });
      else
        facts.push(closedUnsent(spec, ref, mine, now, 'decision_fields_unrecorded', 'not_resent_fields_not_recorded'));
      continue;
    }
    // A crash mid-send, and consent changed since: the first attempt may or may not have been delivered, and it
    // must not be repeated. Logged as a failed delivery of the reserved decision.
    if (mine.state === 'reserved')
      facts.push(closedUnsent(spec, ref, mine, now, 'consent_changed', 'not_resent_after_consent_change'));
    else decisions.push({ d, epoch, n: mine.decisions + 1, replaces: mine.decisionId });
  }

  // Frequency caps count across campaigns; a capped send is a logged denial like any other. The window was read
  // with the guard state; the slot itself is taken by the reservation, which refuses if the window filled since.
  const cap = spec.frequencyCap;
  if (cap) {
    for (const { d } of decisions) {
      if (d.decision.outcome !== 'allow' || d.extraReasons.length) continue;
      const w = loaded.get(d.ref)?.capWindow;
      // A window that was not read counts as full (fail closed).
      if (!w || (!w.held && w.used >= cap.max)) d.extraReasons.push('frequency_capped');
    }
  }
  return plan;
}

/** The log entry of a new decision. */
export const decisionInput = (spec: SendSpec, { d, replaces, why }: NewDecision): LogEntryInput =>
  decisionEntry(
    spec,
    d.decision,
    d.template,
    d.extraReasons,
    replaces ? { replaces, result: why ?? 'redecided_after_consent_change' } : undefined,
  );

/** The idempotency key of a new decision: its run, step, subject and ordinal. */
export const decisionKey = (spec: SendSpec, { d, n }: NewDecision): string => factKey(spec, d.ref, `decision:${n}`);
