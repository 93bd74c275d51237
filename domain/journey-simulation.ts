import { evaluateCondition } from './branch-condition.js';
import { holdout, parseDuration, type Campaign } from './campaign.js';
import type { GuardState } from './consent-state.js';
import type { SubjectRef } from './ids.js';
import type { CompiledPolicy } from './policy.js';
import { decideTemplatedSend, type TemplateFacet } from './send-decision.js';

/** One step a simulated subject passes: a send (would it go out, with which fields, or why not) or a branch taken. */
export type SimulatedStep =
  | {
      readonly stepId: string;
      readonly kind: 'send';
      readonly template: string;
      readonly outcome: 'allow' | 'deny';
      readonly reasons: readonly string[];
      readonly fieldsReleased: readonly string[];
    }
  | {
      readonly stepId: string;
      readonly kind: 'branch';
      readonly took: 'then' | 'otherwise';
      readonly target: string;
      readonly assumed?: string;
    };

/** One subject's simulated journey. */
export interface SubjectSimulation {
  readonly subjectRef: SubjectRef;
  readonly heldOut: boolean;
  readonly steps: readonly SimulatedStep[];
}

/** What the simulation knows about one subject: consent state, the profile values it may read, cap slots in use. */
export interface SimulationSubject {
  readonly ref: SubjectRef;
  readonly state: GuardState;
  readonly profile: Readonly<Record<string, string>>;
  /** Sends already counted in this subject's frequency-cap window on the cap's channel. */
  readonly capUsed: number;
}

/** The campaign and what it is judged against. */
export interface SimulationContext {
  readonly campaign: Campaign;
  readonly policy: CompiledPolicy;
  readonly templates: (id: string) => TemplateFacet | undefined;
  readonly now: Date;
}

/** The profile fields a simulation may read: template and branch fields the campaign's purposes allow, nothing more. */
export function simulationFields(ctx: SimulationContext): string[] {
  const out = new Set<string>();
  const allowed = (purpose: string, f: string) => ctx.policy.purposes.get(purpose)?.allowedFields.has(f) === true;
  for (const s of ctx.campaign.steps) {
    const purpose = s.type === 'send' ? (s.purpose ?? ctx.campaign.purpose) : ctx.campaign.purpose;
    if (s.type === 'send') {
      const address = ctx.policy.addressFields.get(s.channel);
      if (address !== undefined) out.add(address);
      for (const f of ctx.templates(s.template)?.fields ?? []) if (allowed(purpose, f)) out.add(f);
    }
    if (s.type === 'branch' && s.condition.kind === 'field' && allowed(purpose, s.condition.field))
      out.add(s.condition.field);
  }
  return [...out].sort();
}

/**
 * Walks one subject through the campaign as the journey would, without sending or writing anything: the real guard
 * per send, branches on the subject's own profile values, profile values checked (`profile_field_missing`) and the
 * frequency cap counted. Engagement events cannot be known in advance, so an event branch takes its timeout path.
 */
export function simulateSubject(ctx: SimulationContext, s: SimulationSubject): SubjectSimulation {
  const c = ctx.campaign;
  if (holdout(s.ref, c.id, c.options.holdoutPercent)) return { subjectRef: s.ref, heldOut: true, steps: [] };
  const cap = c.options.frequencyCap;
  const capMs = cap ? parseDuration(cap.per) : 0;
  const sentAt: number[] = [];
  const steps: SimulatedStep[] = [];
  let elapsed = 0;
  const index = new Map(c.steps.map((st, i) => [st.id, i]));
  for (let i = 0; i < c.steps.length;) {
    const step = c.steps[i]!;
    if (step.type === 'exit') break;
    if (step.type === 'wait') elapsed += parseDuration(step.duration);
    if (step.type === 'branch') {
      const holds =
        step.condition.kind === 'field' ? evaluateCondition(step.condition, s.profile[step.condition.field]) : false;
      const took = holds ? 'then' : 'otherwise';
      const assumed =
        step.condition.kind === 'event'
          ? `no ${step.condition.event} event within ${step.condition.within} (cannot be known in advance)`
          : undefined;
      steps.push({ stepId: step.id, kind: 'branch', took, target: step[took], ...(assumed ? { assumed } : {}) });
      if (step.condition.kind === 'event') elapsed += parseDuration(step.condition.within);
      i = index.get(step[took]) ?? c.steps.length;
      continue;
    }
    if (step.type === 'send') {
      const spec = {
        campaignId: c.id,
        stepId: step.id,
        purpose: step.purpose ?? c.purpose,
        channel: step.channel,
        processor: step.processor,
        templateId: step.template,
      };
      const d = decideTemplatedSend(ctx.templates, ctx.policy, spec, s.ref, s.state, ctx.now);
      const reasons = [...(d.decision.outcome === 'deny' ? d.decision.reasons : []), ...d.extraReasons];
      if (reasons.length === 0 && d.decision.fieldsReleased.some((f) => !s.profile[f]))
        reasons.push('profile_field_missing');
      if (reasons.length === 0 && cap && cap.channel === step.channel) {
        // Sends already on file count while the window may still hold them; simulated ones by their own times.
        const used = (elapsed < capMs ? s.capUsed : 0) + sentAt.filter((t) => elapsed - t < capMs).length;
        if (used >= cap.max) reasons.push('frequency_capped');
      }
      if (reasons.length === 0) sentAt.push(elapsed);
      steps.push({
        stepId: step.id,
        kind: 'send',
        template: d.template?.id ?? step.template,
        outcome: reasons.length ? 'deny' : 'allow',
        reasons,
        fieldsReleased: reasons.length ? [] : [...d.decision.fieldsReleased],
      });
    }
    i++;
  }
  return { subjectRef: s.ref, heldOut: false, steps };
}
