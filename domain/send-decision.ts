import type { GuardState } from './consent-state.js';
import { decide, type Decision } from './guard.js';
import type { SubjectRef } from './ids.js';
import type { CompiledPolicy } from './policy.js';

/** What a send step needs to know about a template: its channel, the fields it declares, its generic fallback. */
export interface TemplateFacet {
  readonly id: string;
  readonly channel: string;
  readonly fields: readonly string[];
  readonly fallback?: string;
}

/** The send-step identity the guard judges. */
export interface SendStepSpec {
  readonly campaignId: string;
  readonly stepId: string;
  readonly purpose: string;
  readonly channel: string;
  readonly processor: string;
  readonly templateId: string;
}

/** A send step's decision for one subject: the guard's answer plus campaign-level denials (missing template). */
export interface TemplatedDecision<T extends TemplateFacet> {
  readonly decision: Decision;
  readonly template: T | undefined;
  readonly extraReasons: string[];
}

/** Decides one send step for one subject exactly as the send path does; shared by the activities and the dry run. */
export function decideTemplatedSend<T extends TemplateFacet>(
  info: (id: string) => T | undefined,
  policy: CompiledPolicy,
  spec: SendStepSpec,
  ref: SubjectRef,
  state: GuardState,
  now: Date,
): TemplatedDecision<T> {
  let template = info(spec.templateId);
  // PIPL 24: someone who turned personalisation off gets the template's generic fallback.
  if (template?.fallback && state.personalisation === 'off') template = info(template.fallback) ?? template;
  const decision = decide(
    {
      campaignId: spec.campaignId,
      stepId: spec.stepId,
      subjectRef: ref,
      purpose: spec.purpose,
      channel: spec.channel,
      processor: spec.processor,
      templateId: template?.id ?? spec.templateId,
      fields: template ? [...template.fields] : [],
    },
    state,
    policy,
    now,
  );
  const extraReasons = template === undefined || template.channel !== spec.channel ? ['template_unavailable'] : [];
  return { decision, template, extraReasons };
}
