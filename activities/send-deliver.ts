import type { AllowDecision } from '../domain/guard.js';
import type { SubjectRef } from '../domain/ids.js';
import type { LogEntry, LogEntryInput } from '../domain/decision-log.js';
import type { LedgerRecord } from '../infra/redis/send-ledger.js';
import { mapWindowed } from './concurrency.js';
import { messageLinks, stableMessageId, unsubscribeHeaders } from './message.js';
import { deliveryEntry, type SendSpec } from './send-entries.js';
import type { SendOutcome, SendPipelineDeps, TemplateInfo } from './send-pipeline.js';

/** A send the guard allowed and the log holds. */
export interface Delivery {
  readonly ref: SubjectRef;
  readonly decision: AllowDecision;
  readonly decisionEntry: LogEntry;
  readonly template: TemplateInfo;
}

/** A decision older than this is not trusted for a send: consent may have changed since. */
export const MAX_DECISION_AGE_MS = 60_000;

const HARD_BOUNCE = /^5\.1\.\d|^5\.2\.1/;
const DELIVERY_CONCURRENCY = 32;

function smtpCodeOf(e: unknown): number | undefined {
  const c = (e as { responseCode?: unknown }).responseCode;
  return typeof c === 'number' ? c : undefined;
}

async function deliverOne(deps: SendPipelineDeps, spec: SendSpec, scope: string, d: Delivery, logs: LogEntryInput[], committed: Map<SubjectRef, LedgerRecord>): Promise<SendOutcome> {
  const base = { subjectRef: d.ref, decisionId: d.decisionEntry.id };
  const fail = (result: string, smtpCode?: number): SendOutcome => {
    logs.push(deliveryEntry(spec, d.ref, d.decisionEntry.id, { outcome: 'failed', result, smtpCode, reasons: [result] }));
    return { ...base, status: 'failed', reasons: [result], smtpCode };
  };
  // The send refuses anything but a fresh, logged allow for this very subject and step.
  const ageMs = Date.now() - Date.parse(d.decision.decidedAt);
  if (d.decisionEntry.outcome !== 'allow' || d.decisionEntry.subjectRef !== d.ref || ageMs > MAX_DECISION_AGE_MS) return fail('decision_stale');
  const addressField = deps.policy().addressFields.get(spec.channel);
  if (spec.channel !== 'email' || !addressField) return fail('channel_transport_missing');
  const read = await deps.readFields(d.ref, d.decision.fieldsReleased);
  if (read.status !== 'found') return fail(`profile_${read.status}`);
  const { [addressField]: address, ...merge } = read.fields;
  if (!address) return fail('address_missing');
  const links = messageLinks(deps.tokens, deps.publicUrl, { ref: d.ref, purpose: spec.purpose, channel: spec.channel, campaignId: spec.campaignId, decisionId: d.decisionEntry.id });
  const rendered = deps.templates.render(d.template.id, { fields: merge, links: { ...links }, sender: { ...deps.sender } });
  // Strict templates never go out with a hole: a missing value is a logged, permanent failure, not a retry loop.
  if (!rendered.ok) return fail('profile_field_missing');
  const messageId = stableMessageId(scope, d.ref, deps.sender.email);
  // reserve → send → commit. A record left 'reserved' by a crash is the ambiguous window: we resend with the
  // same Message-ID rather than risk never delivering an allowed message.
  await deps.ledger.reserve(d.ref, scope, { at: new Date().toISOString(), decisionId: d.decisionEntry.id, messageId });
  try {
    const res = await deps.mailer.send({ to: address, subject: rendered.subject, text: rendered.text, html: rendered.html, headers: unsubscribeHeaders(links), messageId });
    const rec: LedgerRecord = { state: 'committed', at: new Date().toISOString(), decisionId: d.decisionEntry.id, messageId, outcome: 'sent', smtpCode: res.code, logged: false };
    await deps.ledger.commit(d.ref, scope, rec);
    committed.set(d.ref, rec);
    logs.push(deliveryEntry(spec, d.ref, d.decisionEntry.id, { outcome: 'sent', smtpCode: res.code, messageId, result: 'accepted' }));
    return { ...base, status: 'sent', reasons: [], messageId, smtpCode: res.code };
  } catch (e) {
    const code = smtpCodeOf(e);
    if (code === undefined || code < 500) {
      // Transient (4xx, connection): nothing was accepted, so the slot and reservation go back for the retry.
      await deps.ledger.release(d.ref, scope);
      return { ...base, status: 'retry', reasons: [code ? `smtp_${code}` : 'smtp_unreachable'], smtpCode: code };
    }
    const enhanced = String((e as { response?: string }).response ?? '').slice(4);
    const hard = code === 550 || code === 551 || code === 553 || HARD_BOUNCE.test(enhanced);
    const rec: LedgerRecord = { state: 'committed', at: new Date().toISOString(), decisionId: d.decisionEntry.id, messageId, outcome: 'failed', smtpCode: code, logged: false };
    await deps.ledger.commit(d.ref, scope, rec);
    committed.set(d.ref, rec);
    if (hard) await deps.suppressHardBounce(d.ref);
    return fail(hard ? 'hard_bounce' : 'smtp_rejected', code);
  }
}

/** Delivers the allowed sends concurrently through the pooled transport, then logs their outcomes in one batch. */
export async function deliverAll(deps: SendPipelineDeps, spec: SendSpec, scope: string, deliveries: readonly Delivery[], heartbeat: () => void): Promise<SendOutcome[]> {
  const logs: LogEntryInput[] = [];
  const committed = new Map<SubjectRef, LedgerRecord>();
  // Enough in flight to keep the pooled SMTP connections busy, few enough that a 500-subject chunk does not
  // hold 500 rendered MIME trees in memory at once.
  const outcomes = await mapWindowed(deliveries, DELIVERY_CONCURRENCY, async (d, i) => {
    const o = await deliverOne(deps, spec, scope, d, logs, committed);
    if (i % 50 === 49) heartbeat();
    return o;
  });
  // A send that did not happen (refused, failed, deferred) gives its frequency-cap slot back.
  if (spec.frequencyCap) {
    await Promise.all(outcomes.filter((o) => o.status !== 'sent').map((o) => deps.ledger.returnCapSlot(o.subjectRef, spec.channel, scope)));
  }
  if (logs.length) {
    await deps.appendLog(logs);
    // Only now is the outcome durable in the log; a retry before this point re-logs it from the ledger.
    await deps.ledger.markLogged(scope, committed);
  }
  return outcomes;
}
