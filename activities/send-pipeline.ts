import { decide, type Decision } from '../domain/guard.js';
import type { SubjectRef } from '../domain/ids.js';
import type { CompiledPolicy } from '../domain/policy.js';
import type { GuardState } from '../domain/consent-state.js';
import type { LogEntry, LogEntryInput } from '../domain/decision-log.js';
import type { LedgerRecord, SendLedger } from '../infra/redis/send-ledger.js';
import type { Mailer } from '../infra/smtp/transport.js';
import type { LinkTokens } from '../infra/tokens.js';
import { decisionEntry, deliveryEntry, type SendSpec } from './send-entries.js';
import { deliverAll, type Delivery } from './send-deliver.js';

export type { SendSpec } from './send-entries.js';

/** What a send step needs to know about a template; the registry adapter provides it. */
export interface TemplateInfo {
  readonly id: string;
  readonly channel: string;
  readonly fields: readonly string[];
  readonly fallback?: string;
  readonly contentHash: string;
}

/** A strict render: the message, or the declared fields the profile has no value for (nothing is sent then). */
export type RenderResult = { readonly ok: true; readonly subject: string; readonly text: string; readonly html?: string } | { readonly ok: false; readonly missingFields: readonly string[] };

/** The template port: metadata for the guard, strict rendering of released fields only. */
export interface TemplatePort {
  info(id: string): TemplateInfo | undefined;
  render(id: string, ctx: { fields: Record<string, string>; links: Record<string, string>; sender: Record<string, string> }): RenderResult;
}

/** The ports the guarded send path runs on. */
export interface SendPipelineDeps {
  readonly loadGuardStates: (refs: readonly SubjectRef[]) => Promise<GuardState[]>;
  readonly readFields: (ref: SubjectRef, fields: readonly string[]) => Promise<{ status: 'found'; fields: Readonly<Record<string, string>> } | { status: 'not_found' | 'erased' }>;
  readonly suppressHardBounce: (ref: SubjectRef) => Promise<unknown>;
  readonly appendLog: (entries: readonly LogEntryInput[]) => Promise<LogEntry[]>;
  readonly ledger: SendLedger;
  readonly templates: TemplatePort;
  readonly mailer: Mailer;
  readonly policy: () => CompiledPolicy;
  readonly tokens: LinkTokens;
  readonly publicUrl: string;
  readonly sender: { readonly name: string; readonly email: string; readonly postalAddress: string };
  readonly now?: () => Date;
}

/** One subject's result; a denial is a logged outcome, not an error. */
export interface SendOutcome {
  readonly subjectRef: SubjectRef;
  readonly status: 'sent' | 'denied' | 'failed' | 'duplicate' | 'retry';
  readonly reasons: readonly string[];
  readonly decisionId: string | null;
  readonly messageId?: string;
  readonly smtpCode?: number;
}

/** The guard's answer for one subject on one send step, with the template it would use. */
export interface SendDecision {
  readonly ref: SubjectRef;
  readonly decision: Decision;
  readonly template: TemplateInfo | undefined;
  /** Campaign-level denials on top of the guard's (frequency cap, missing template). */
  readonly extraReasons: string[];
}

/** Picks the template (generic fallback when personalisation is off) and runs the guard; shared with dry runs. */
export function decideSend(templates: TemplatePort, policy: CompiledPolicy, spec: Pick<SendSpec, 'campaignId' | 'stepId' | 'purpose' | 'channel' | 'processor' | 'templateId'>, ref: SubjectRef, state: GuardState, now: Date): SendDecision {
  let template = templates.info(spec.templateId);
  // PIPL 24: someone who turned personalisation off gets the template's generic fallback.
  if (template?.fallback && state.personalisation === 'off') template = templates.info(template.fallback) ?? template;
  const decision = decide(
    { campaignId: spec.campaignId, stepId: spec.stepId, subjectRef: ref, purpose: spec.purpose, channel: spec.channel, processor: spec.processor, templateId: template?.id ?? spec.templateId, fields: template ? [...template.fields] : [] },
    state,
    policy,
    now,
  );
  const extraReasons = template === undefined || template.channel !== spec.channel ? ['template_unavailable'] : [];
  return { ref, decision, template, extraReasons };
}

/**
 * The one path every message takes, for a batch of subjects on one send step: load state in bulk, decide, append
 * every decision durably (nothing is sent if that fails), read only released fields, render strictly, deliver
 * idempotently, append the delivery outcomes.
 */
export async function runGuardedSends(deps: SendPipelineDeps, spec: SendSpec, refs: readonly SubjectRef[], heartbeat: () => void = () => {}): Promise<SendOutcome[]> {
  const now = (deps.now ?? (() => new Date()))();
  const scope = `${spec.workflowId}:${spec.stepId}`;
  const records = await deps.ledger.lookup(refs.map((ref) => ({ ref, scope })));
  const outcomes = new Map<SubjectRef, SendOutcome>();
  const pendingDeliveryLogs: LogEntryInput[] = [];
  const todo: SubjectRef[] = [];
  refs.forEach((ref, i) => {
    const rec = records[i];
    if (rec?.state === 'committed') {
      outcomes.set(ref, { subjectRef: ref, status: 'duplicate', reasons: [], decisionId: rec.decisionId, messageId: rec.messageId });
      if (!rec.logged) pendingDeliveryLogs.push(deliveryEntry(spec, ref, rec.decisionId, { outcome: rec.outcome ?? 'sent', smtpCode: rec.smtpCode, messageId: rec.messageId, result: 'recovered_after_retry' }));
    } else todo.push(ref);
  });

  const states = await deps.loadGuardStates(todo);
  const policy = deps.policy();
  const decisions: SendDecision[] = [];
  for (let i = 0; i < todo.length; i++) decisions.push(decideSend(deps.templates, policy, spec, todo[i]!, states[i]!, now));

  // Frequency caps count across campaigns; a capped send is a logged denial like any other.
  if (spec.frequencyCap) {
    const cap = spec.frequencyCap;
    await Promise.all(
      decisions.map(async (d) => {
        if (d.decision.outcome !== 'allow' || d.extraReasons.length) return;
        const ok = await deps.ledger.takeCapSlot(d.ref, spec.channel, scope, cap.max, cap.perMs, now.getTime());
        if (!ok) d.extraReasons.push('frequency_capped');
      }),
    );
  }

  let logged: LogEntry[];
  try {
    logged = await deps.appendLog([...pendingDeliveryLogs, ...decisions.map((d) => decisionEntry(spec, d.decision, d.template, d.extraReasons))]);
  } catch (e) {
    if (spec.frequencyCap) await Promise.allSettled(decisions.map((d) => deps.ledger.returnCapSlot(d.ref, spec.channel, scope)));
    throw e;
  }
  const decisionLogs = logged.slice(pendingDeliveryLogs.length);
  if (pendingDeliveryLogs.length) {
    const recovered = new Map<SubjectRef, LedgerRecord>();
    refs.forEach((ref, i) => {
      const rec = records[i];
      if (rec?.state === 'committed' && !rec.logged) recovered.set(ref, rec);
    });
    await deps.ledger.markLogged(scope, recovered);
  }

  const deliveries: Delivery[] = [];
  decisions.forEach((d, i) => {
    const entry = decisionLogs[i]!;
    if (d.decision.outcome === 'allow' && d.extraReasons.length === 0 && d.template) {
      deliveries.push({ ref: d.ref, decision: d.decision, decisionEntry: entry, template: d.template });
    } else {
      const reasons = [...(d.decision.outcome === 'deny' ? d.decision.reasons : []), ...d.extraReasons];
      outcomes.set(d.ref, { subjectRef: d.ref, status: 'denied', reasons, decisionId: entry.id });
    }
  });
  for (const o of await deliverAll(deps, spec, scope, deliveries, heartbeat)) outcomes.set(o.subjectRef, o);
  return refs.map((r) => outcomes.get(r)!);
}
