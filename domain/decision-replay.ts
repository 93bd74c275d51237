import type { ConsentEvent } from './consent.js';
import { rebuild, type GuardState, type Personalisation } from './consent-state.js';
import type { LogEntry } from './decision-log.js';
import { decide } from './guard.js';
import type { CompiledPolicy } from './policy.js';
import type { Suppression } from './suppression.js';

/** Denial reasons added by the campaign around the guard (not the guard's own), which a replay of the guard cannot give. */
export const CAMPAIGN_LEVEL_REASONS: ReadonlySet<string> = new Set([
  'template_unavailable',
  'frequency_capped',
  'consent_changed',
]);

/** A consent event with the time the store committed it (its stream id), which is what the guard could have read. */
export interface RecordedEvent {
  readonly event: ConsentEvent;
  readonly recordedAtMs: number;
}

/** A subject's stored state as a replay reads it: events with commit times, and what has no history of its own. */
export interface SubjectHistory {
  readonly events: readonly RecordedEvent[];
  readonly suppressions: readonly Suppression[];
  readonly erasedAtMs: number | null;
  /** Kept as one current flag with no history: a change since the decision can show up as a mismatch. */
  readonly personalisation: Personalisation;
}

/** What one decision replayed to. */
export interface ReplayResult {
  readonly entryId: string;
  readonly subjectRef: string;
  readonly at: string;
  readonly status: 'match' | 'mismatch' | 'not_replayable';
  readonly logged: {
    readonly outcome: string;
    readonly reasons: readonly string[];
    readonly consentEventId: string | null;
  };
  readonly replayed?: {
    readonly outcome: string;
    readonly reasons: readonly string[];
    readonly consentEventId: string | null;
  };
  /** What differs (mismatch) or why the entry cannot be replayed. */
  readonly notes: readonly string[];
}

/** The guard state as it stood at `atMs`: events committed by then, suppressions recorded by then, erasure if done by then. */
export function stateAt(h: SubjectHistory, atMs: number): GuardState {
  const events = h.events.filter((e) => e.recordedAtMs <= atMs).map((e) => e.event);
  return {
    consent: rebuild(events),
    suppressions: h.suppressions.filter((s) => Date.parse(s.at) <= atMs),
    erased: h.erasedAtMs !== null && h.erasedAtMs <= atMs,
    personalisation: h.personalisation,
  };
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Re-decides one logged decision with the policy it recorded and the subject's state at its time, and compares the
 * guard's answer with what was logged: outcome, reasons (in precedence order), the consent event relied on and the
 * released fields. Pure; `policy` null means the recorded version has no stored snapshot (fail closed: mismatch).
 */
export function replayDecision(e: LogEntry, policy: CompiledPolicy | null, history: SubjectHistory): ReplayResult {
  const guardReasons = e.reasons.filter((r) => !CAMPAIGN_LEVEL_REASONS.has(r));
  const logged = { outcome: e.outcome, reasons: e.reasons, consentEventId: e.consentEventId };
  const base = { entryId: e.id, subjectRef: e.subjectRef, at: e.at, logged };
  // A denial at reservation records no policy: the guard did not run, the consent epoch had moved.
  if (e.policyVersion === null)
    return { ...base, status: 'not_replayable', notes: ['no guard evaluation (re-decided at reservation)'] };
  // A store fault is a fact of that moment, not of the data: the replay reads a healthy store.
  if (guardReasons.includes('state_unavailable'))
    return { ...base, status: 'not_replayable', notes: ['the consent store was unavailable at decision time'] };
  if (policy === null)
    return {
      ...base,
      status: 'mismatch',
      notes: [`policy snapshot ${e.policyVersion.slice(0, 12)} is missing, so the decision cannot be re-decided`],
    };
  const at = new Date(e.at);
  const d = decide(
    {
      campaignId: e.campaignId ?? '',
      stepId: e.stepId ?? '',
      subjectRef: e.subjectRef,
      purpose: e.purpose ?? '',
      channel: e.channel ?? '',
      processor: e.processor ?? '',
      templateId: e.templateId ?? '',
      fields: [...e.fieldsRequested],
    },
    stateAt(history, at.getTime()),
    policy,
    at,
  );
  const replayedReasons = d.outcome === 'deny' ? [...d.reasons] : [];
  const replayed = { outcome: d.outcome, reasons: replayedReasons, consentEventId: d.consentEventId };
  const notes: string[] = [];
  if (e.outcome === 'allow' && e.reasons.length > 0) notes.push('logged as allow with reasons');
  if (!same(guardReasons, replayedReasons))
    notes.push(`guard reasons: logged [${guardReasons.join(', ')}], replayed [${replayedReasons.join(', ')}]`);
  if (e.consentEventId !== d.consentEventId)
    notes.push(`consent event relied on: logged ${e.consentEventId ?? 'none'}, replayed ${d.consentEventId ?? 'none'}`);
  if (e.outcome === 'allow' && !same([...e.fieldsReleased].sort(), [...d.fieldsReleased].sort()))
    notes.push(`released fields: logged [${e.fieldsReleased.join(', ')}], replayed [${d.fieldsReleased.join(', ')}]`);
  return { ...base, status: notes.length ? 'mismatch' : 'match', replayed, notes };
}
