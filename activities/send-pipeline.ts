import type { Decision } from '../domain/guard.js';
import { decideTemplatedSend } from '../domain/send-decision.js';
import type { SubjectRef } from '../domain/ids.js';
import type { CompiledPolicy } from '../domain/policy.js';
import type { GuardState } from '../domain/consent-state.js';
import type { LogEntryInput } from '../domain/decision-log.js';
import type { TemplateInfo, TemplatePort } from '../domain/template-port.js';
import { SendLedger, terminalFor, type LedgerRecord, type TerminalOutcome } from '../infra/redis/send-ledger.js';
import {
  decisionEntry,
  deliveryEntry,
  factKey,
  outcomeEntry,
  reservationDenialEntry,
  type SendSpec,
} from './send-entries.js';
import { deliverAll } from './send-deliver.js';
import type { Delivery, SendPipelineDeps, SendState } from './send-ports.js';
import type { CapRead } from '../infra/redis/guard-state-load.js';
import { DEFAULT_DEFERRAL, type DeferralPolicy, type SendOutcome } from './send-outcome.js';

export type { SendSpec } from './send-entries.js';
export type { SendOutcome } from './send-outcome.js';
export type {
  AppendLog,
  Delivery,
  FieldsRead,
  RenderResult,
  SendPipelineDeps,
  SendState,
  TemplateInfo,
  TemplatePort,
} from './send-ports.js';

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

/**
 * Guard state and send record of every member, one script per subject, in one round trip (members settled before
 * the guard need their record only). What the caller already loaded is not loaded again.
 */
export async function loadSendStates(
  deps: SendPipelineDeps,
  scope: string,
  refs: readonly SubjectRef[],
  excluded: ReadonlyMap<SubjectRef, unknown>,
  have?: ReadonlyMap<SubjectRef, SendState>,
  cap?: CapRead,
): Promise<Map<SubjectRef, SendState>> {
  const out = new Map(have ?? []);
  const todo = refs.filter((r) => !out.has(r));
  const guarded = todo.filter((r) => !excluded.has(r));
  const settled = todo.filter((r) => excluded.has(r));
  const [withState, records] = await Promise.all([
    guarded.length ? deps.loadGuardStatesWith(guarded, (ref) => deps.ledger.key(ref, scope), cap) : [],
    deps.ledger.lookup(settled.map((ref) => ({ ref, scope }))),
  ]);
  guarded.forEach((r, i) =>
    out.set(r, {
      state: withState[i]!.state,
      record: SendLedger.parse(withState[i]!.extra),
      capWindow: withState[i]!.capWindow,
    }),
  );
  settled.forEach((r, i) => out.set(r, { record: records[i] }));
  return out;
}

/** What a capped step reads with each guard state: the subject's window on the step's channel, ending now. */
export function capReadOf(
  deps: Pick<SendPipelineDeps, 'ledger'>,
  spec: Pick<SendSpec, 'frequencyCap' | 'channel'>,
  scope: string,
  nowMs: number,
): CapRead | undefined {
  const cap = spec.frequencyCap;
  return cap
    ? { key: (ref) => deps.ledger.capKey(ref, spec.channel), sinceMs: nowMs - cap.perMs, member: scope }
    : undefined;
}

/** A member settled before the guard: held out, not eligible for the audience, or exited. */
export interface Exclusion {
  readonly outcome: Extract<TerminalOutcome, 'held_out' | 'not_eligible' | 'exited'>;
  readonly reasons: readonly string[];
  readonly result?: string;
}

/** How a run treats one batch. */
export interface SendOptions {
  readonly heartbeat?: () => void;
  readonly deferral?: DeferralPolicy;
  /** Leave deferred members whose next attempt is not yet due (broadcasts); journeys retry them at once. */
  readonly dueOnly?: boolean;
  /** Members settled without a decision, each logged once as its own outcome. */
  readonly excluded?: ReadonlyMap<SubjectRef, Exclusion>;
  /** Guard states and send records already loaded for this batch (by a consent pre-filter); the rest are loaded here. */
  readonly loaded?: ReadonlyMap<SubjectRef, SendState>;
  /** How long the commit of an accepted message waits out a Redis outage (default one minute). */
  readonly commitPatienceMs?: number;
}

interface NewDecision {
  readonly d: SendDecision;
  readonly epoch: number;
  /** Which decision entry of this run and step this is (2 and up only for an explicit re-decision). */
  readonly n: number;
  readonly replaces?: string;
  /** Why a re-decision was made (its log entry's result); a consent change unless said otherwise. */
  readonly why?: string;
}

const fromRecord = (ref: SubjectRef, rec: LedgerRecord): SendOutcome => ({
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
function consentLanguage(state: GuardState | undefined, decision: Decision): string | undefined {
  if (!state || decision.consentEventId === null) return undefined;
  for (const e of Object.values(state.consent)) if (e?.id === decision.consentEventId) return e.language;
  return undefined;
}

/**
 * The one path every message takes, for a batch of subjects on one send step of one run: load ledger and guard
 * state together, decide, append every decision durably (nothing is sent if that fails), read only released
 * fields, render strictly, reserve against the consent epoch, deliver, append the delivery outcomes. A retry finds
 * the ledger record and reuses the decision of record; every member ends in one terminal outcome.
 */
export async function runGuardedSends(
  deps: SendPipelineDeps,
  spec: SendSpec,
  refs: readonly SubjectRef[],
  opts: SendOptions = {},
): Promise<SendOutcome[]> {
  const clock = deps.now ?? (() => new Date());
  const now = clock();
  const scope = `${spec.workflowId}:${spec.stepId}`;
  const excluded = opts.excluded ?? new Map<SubjectRef, Exclusion>();
  const loaded = await loadSendStates(
    deps,
    scope,
    refs,
    excluded,
    opts.loaded,
    capReadOf(deps, spec, scope, now.getTime()),
  );
  const records = refs.map((r) => loaded.get(r)!.record);
  const policy = deps.policy();
  const outcomes = new Map<SubjectRef, SendOutcome>();
  // Facts logged before any decision: unlogged terminal outcomes found on retry (relog) and exclusions (close).
  const facts: Array<{
    ref: SubjectRef;
    entry: LogEntryInput;
    key: string;
    rec: LedgerRecord;
    relog: boolean;
    settle?: boolean;
  }> = [];
  const decisions: NewDecision[] = [];
  const sendable: Delivery[] = [];
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

  refs.forEach((ref, i) => {
    const rec = records[i];
    if (rec && terminalFor(rec, spec.runId)) {
      outcomes.set(ref, fromRecord(ref, rec));
      const t = rec.logged ? undefined : terminalEntry(spec, ref, rec);
      if (t) facts.push({ ref, entry: t.entry, key: factKey(spec, ref, t.fact), rec, relog: true });
      return;
    }
    const ex = excluded.get(ref);
    if (ex) return close(ref, ex.outcome, ex.reasons, {}, ex.result);
    if (rec && (rec.sentBefore || (rec.runId !== spec.runId && rec.outcome === 'sent')))
      return close(ref, 'not_eligible', ['already_sent'], { sentBefore: true });
    const mine = rec?.runId === spec.runId && (rec.state === 'decided' || rec.state === 'reserved') ? rec : undefined;
    if (mine && opts.dueOnly && mine.deferrals > 0 && (mine.nextAttemptAt ?? 0) > now.getTime()) {
      outcomes.set(ref, {
        subjectRef: ref,
        status: 'deferred',
        reasons: mine.reasons,
        decisionId: mine.decisionId,
        nextAttemptAt: mine.nextAttemptAt,
      });
      return;
    }
    const state = loaded.get(ref)!.state!;
    const d = decideSend(deps.templates, policy, spec, ref, state, now);
    const epoch = state.epoch ?? 0;
    if (!mine) return void decisions.push({ d, epoch, n: 1 });
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
        return void sendable.push({
          ref,
          decision,
          addressField: mine.addressField,
          decisionId: mine.decisionId,
          template: d.template,
          rec: mine,
          fresh: false,
          language: consentLanguage(state, d.decision),
        });
      }
      // A record from before the released fields were kept: what it authorised is not known here, so it is not
      // sent on. A decided one is decided again, explicitly; a reserved one (a crash mid-send) is not resent.
      if (mine.state === 'decided')
        return void decisions.push({
          d,
          epoch,
          n: mine.decisions + 1,
          replaces: mine.decisionId,
          why: 'redecided_fields_not_recorded',
        });
      const rec: LedgerRecord = {
        ...mine,
        state: 'closed',
        at: now.toISOString(),
        outcome: 'failed',
        reasons: ['decision_fields_unrecorded'],
        logged: true,
      };
      const entry = deliveryEntry(spec, ref, mine.decisionId, {
        outcome: 'failed',
        result: 'not_resent_fields_not_recorded',
        messageId: mine.messageId,
        reasons: ['decision_fields_unrecorded'],
      });
      return void facts.push({ ref, entry, key: factKey(spec, ref, 'delivery'), rec, relog: false, settle: true });
    }
    if (mine.state === 'reserved') {
      // A crash mid-send, and consent changed since: the first attempt may or may not have been delivered, and it
      // must not be repeated. Logged as a failed delivery of the reserved decision.
      const rec: LedgerRecord = {
        ...mine,
        state: 'closed',
        at: now.toISOString(),
        outcome: 'failed',
        reasons: ['consent_changed'],
        logged: true,
      };
      const entry = deliveryEntry(spec, ref, mine.decisionId, {
        outcome: 'failed',
        result: 'not_resent_after_consent_change',
        messageId: mine.messageId,
        reasons: ['consent_changed'],
      });
      return void facts.push({ ref, entry, key: factKey(spec, ref, 'delivery'), rec, relog: false, settle: true });
    }
    decisions.push({ d, epoch, n: mine.decisions + 1, replaces: mine.decisionId });
  });

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

  const decisionInput = ({ d, replaces, why }: NewDecision) =>
    decisionEntry(
      spec,
      d.decision,
      d.template,
      d.extraReasons,
      replaces ? { replaces, result: why ?? 'redecided_after_consent_change' } : undefined,
    );
  const decisionKey = ({ d, n }: NewDecision) => factKey(spec, d.ref, `decision:${n}`);
  const entries = [...facts.map((f) => f.entry), ...decisions.map(decisionInput)];
  const logged = entries.length
    ? await deps.appendLog(entries, { idempotencyKeys: [...facts.map((f) => f.key), ...decisions.map(decisionKey)] })
    : [];
  // A retried batch gets the stored decision back. A stored denial stands; a stored allow that the guard no
  // longer gives is replaced by an explicit re-decision.
  const second = decisions.flatMap((x, i) => {
    const stored = logged[facts.length + i]!;
    const allowed = x.d.decision.outcome === 'allow' && x.d.extraReasons.length === 0 && x.d.template !== undefined;
    return stored.outcome === 'allow' && !allowed
      ? [{ i, x: { ...x, n: x.n + 1, replaces: stored.id, why: undefined } }]
      : [];
  });
  if (second.length) {
    const again = await deps.appendLog(
      second.map(({ x }) => decisionInput(x)),
      { idempotencyKeys: second.map(({ x }) => decisionKey(x)) },
    );
    second.forEach(({ i, x }, k) => ((decisions[i] = x), (logged[facts.length + i] = again[k]!)));
  }

  // Records follow the log: a crash in between is healed by the retry, whose idempotent append finds the entries.
  const relogged = new Map<SubjectRef, LedgerRecord>();
  const puts: Array<readonly [SubjectRef, LedgerRecord]> = [];
  const abandoned: Array<Promise<void>> = [];
  facts.forEach((f, i) => {
    if (f.relog) return void relogged.set(f.ref, f.rec);
    if (f.settle) {
      // The crashed attempt's delivery entry may have landed (it is appended alongside the commit): then the SMTP
      // server accepted the message, and that, not a failure, is the outcome of record.
      const stored = logged[i]!;
      const rec: LedgerRecord =
        stored.kind === 'delivery' && stored.outcome === 'sent'
          ? {
              ...f.rec,
              state: 'committed',
              outcome: 'sent',
              reasons: [],
              smtpCode: stored.smtpCode ?? undefined,
              messageId: stored.messageId ?? f.rec.messageId,
            }
          : f.rec;
      abandoned.push(deps.ledger.settle(f.ref, scope, rec));
      return void outcomes.set(f.ref, fromRecord(f.ref, rec));
    }
    const rec = { ...f.rec, decisionId: logged[i]!.id };
    puts.push([f.ref, rec]);
    outcomes.set(f.ref, fromRecord(f.ref, rec));
  });
  const fresh: Delivery[] = [];
  decisions.forEach(({ d, epoch, n }, i) => {
    const entry = logged[facts.length + i]!;
    const base = {
      runId: spec.runId,
      at: now.toISOString(),
      decisionId: entry.id,
      decisions: n,
      epoch,
      reasons: entry.reasons,
      deferrals: 0,
      sentBefore: false,
    } as const;
    if (entry.outcome === 'allow' && d.decision.outcome === 'allow' && d.template) {
      // The stored entry is the decision of record (a retried append hands back an earlier attempt's): its fields
      // are the ones read. The record keeps them, and is written by the reservation itself, one round trip not two.
      const addressField = policy.addressFields.get(spec.channel);
      const rec: LedgerRecord = {
        ...base,
        state: 'decided',
        decision: 'allow',
        logged: false,
        fieldsReleased: [...entry.fieldsReleased],
        addressField,
      };
      const decision = { ...d.decision, fieldsReleased: entry.fieldsReleased };
      fresh.push({
        ref: d.ref,
        decision,
        addressField,
        decisionId: entry.id,
        template: d.template,
        rec,
        fresh: true,
        language: consentLanguage(loaded.get(d.ref)?.state, d.decision),
      });
    } else {
      const rec: LedgerRecord = { ...base, state: 'closed', decision: 'deny', outcome: 'denied', logged: true };
      puts.push([d.ref, rec]);
      outcomes.set(d.ref, fromRecord(d.ref, rec));
    }
  });
  const applied = puts.length ? await deps.ledger.put(scope, puts) : [];
  const lost = new Set(puts.filter((_, i) => !applied[i]).map(([ref]) => ref));
  for (const ref of lost)
    outcomes.set(ref, {
      subjectRef: ref,
      status: 'busy',
      reasons: ['another_attempt_owns_this_send'],
      decisionId: null,
    });
  if (relogged.size) await deps.ledger.markLogged(scope, relogged);
  await Promise.all(abandoned);

  sendable.push(...fresh);
  for (const o of await deliverAll(deps, spec, scope, sendable, {
    heartbeat: opts.heartbeat ?? (() => {}),
    deferral: opts.deferral ?? DEFAULT_DEFERRAL,
    now: clock,
    commitPatienceMs: opts.commitPatienceMs,
  }))
    outcomes.set(o.subjectRef, o);
  const result = refs.map((r) => outcomes.get(r)!);
  deps.onOutcomes?.(spec, result);
  return result;
}
