import type { SubjectRef } from '../domain/ids.js';
import type { CompiledPolicy } from '../domain/policy.js';
import type { LogEntry } from '../domain/decision-log.js';
import type { LedgerRecord } from '../infra/redis/send-ledger.js';
import type { SendSpec } from './send-entries.js';
import type { Delivery, SendState } from './send-ports.js';
import { consentLanguage, fromRecord, type BatchPlan } from './send-plan.js';

/** The ledger writes a batch makes once its facts and decisions are in the log, and the sends it hands on. */
export interface LoggedRecords {
  /** New records, written only where no other attempt owns the send. */
  readonly puts: Array<readonly [SubjectRef, LedgerRecord]>;
  /** Terminal records whose entries were just relogged. */
  readonly relogged: Map<SubjectRef, LedgerRecord>;
  /** Crashed attempts closed without a resend, settled against what the log holds. */
  readonly settles: Array<readonly [SubjectRef, LedgerRecord]>;
  /** Sends the guard allowed now, each with the record its reservation will write. */
  readonly fresh: Delivery[];
}

/**
 * Turns the log's answers into records: `logged` holds the stored entry of each planned fact, then of each
 * decision, in order (a retried append hands back an earlier attempt's). Records follow the log: a crash in between
 * is healed by the retry, whose idempotent append finds the entries. Sets the outcomes settled here in the plan.
 */
export function recordsAfterLog(
  spec: SendSpec,
  policy: CompiledPolicy,
  plan: BatchPlan,
  logged: readonly LogEntry[],
  loaded: ReadonlyMap<SubjectRef, SendState>,
  now: Date,
): LoggedRecords {
  const { facts, decisions, outcomes } = plan;
  const out: LoggedRecords = { puts: [], relogged: new Map(), settles: [], fresh: [] };
  facts.forEach((f, i) => {
    if (f.relog) return void out.relogged.set(f.ref, f.rec);
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
      out.settles.push([f.ref, rec]);
      return void outcomes.set(f.ref, fromRecord(f.ref, rec));
    }
    const rec = { ...f.rec, decisionId: logged[i]!.id };
    out.puts.push([f.ref, rec]);
    outcomes.set(f.ref, fromRecord(f.ref, rec));
  });
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
      // The stored entry is the decision of record: its fields are the ones read. The record keeps them, and is
      // written by the reservation itself, one round trip not two.
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
      out.fresh.push({
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
      out.puts.push([d.ref, rec]);
      outcomes.set(d.ref, fromRecord(d.ref, rec));
    }
  });
  return out;
}
