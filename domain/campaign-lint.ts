import { campaignShapeProblems, type Campaign, type SendStep, type Step } from './campaign.js';
import { templateProblems } from './campaign-lint-template.js';
import { jurisdictionProblems, targetedJurisdictions } from './campaign-lint-jurisdiction.js';
import type { LintContext, LintProblem } from './campaign-lint-types.js';
import type { Segment } from './segment.js';

export { LintCode, type LintContext, type LintProblem } from './campaign-lint-types.js';

const list = (xs: Iterable<string>): string => [...xs].join(', ') || 'none';

/** Checks a campaign statically: purposes, fields, processors, channels, templates, segment and step graph. */
export function lintCampaign(campaign: Campaign, ctx: LintContext): LintProblem[] {
  const out: LintProblem[] = [];
  const add = (p: Omit<LintProblem, 'campaign'>): void => void out.push({ campaign: campaign.id, ...p });
  const where = (step?: string): string => `campaign "${campaign.id}"${step === undefined ? '' : ` step "${step}"`}`;

  for (const s of campaignShapeProblems(campaign))
    add({ code: s.code, ...(s.step === undefined ? {} : { step: s.step }), message: `${where(s.step)}: ${s.message}` });

  const purpose = ctx.policy.purposes.get(campaign.purpose);
  if (purpose === undefined) {
    add({
      code: 'purpose_unknown',
      message: `${where()}: purpose "${campaign.purpose}" is not in policy/purposes.ts; use one of ${list(ctx.policy.purposes.keys())}`,
    });
  }
  // Reading a field to decide or wait is processing too: the campaign's purpose must allow it.
  const needField = (field: string, step: string | undefined, use: string): void => {
    if (purpose === undefined || purpose.allowedFields.has(field)) return;
    add({
      code: 'field_not_allowed',
      ...(step === undefined ? {} : { step }),
      field,
      message: `${where(step)}: ${use} reads field "${field}", which purpose "${campaign.purpose}" does not allow (allowed: ${list(purpose.allowedFields)}); remove it or use a purpose that allows it`,
    });
  };

  const segment = Object.hasOwn(ctx.segments, campaign.audience.segment)
    ? ctx.segments[campaign.audience.segment]
    : undefined;
  if (segment === undefined) {
    add({
      code: 'segment_unknown',
      message: `${where()}: audience segment "${campaign.audience.segment}" does not exist; use one of ${list(Object.keys(ctx.segments))} or add it to segments/`,
    });
  } else {
    for (const f of segment.reads) needField(f, undefined, `audience segment "${segment.id}"`);
    if (segment.consent !== undefined) {
      const sp = ctx.policy.purposes.get(segment.consent.purpose);
      if (sp === undefined) {
        add({
          code: 'purpose_unknown',
          message: `${where()}: segment "${segment.id}" filters on consent to purpose "${segment.consent.purpose}", which is not in policy/purposes.ts`,
        });
      } else if (!sp.channels.has(segment.consent.channel)) {
        add({
          code: 'channel_not_allowed',
          message: `${where()}: segment "${segment.id}" filters on ${segment.consent.channel} consent, but purpose "${sp.purpose.id}" only uses ${list(sp.channels)}`,
        });
      }
    }
  }

  const targets = targetedJurisdictions(campaign, segment, ctx.policy);
  for (const [i, step] of campaign.steps.entries()) {
    if (step.type === 'send') {
      sendProblems(campaign, step, ctx, add, where(step.id));
      for (const p of jurisdictionProblems(
        step,
        step.purpose ?? campaign.purpose,
        campaign.steps[i - 1],
        targets,
        ctx.policy,
      ))
        add({ ...p, message: `${where(step.id)} ${p.message}` });
    } else if (step.type === 'waitUntil') needField(step.timezoneField, step.id, `quiet hours (timezoneField)`);
    else if (step.type === 'branch' && step.condition.kind === 'field')
      needField(step.condition.field, step.id, 'branch condition');
  }
  return out;
}

function sendProblems(
  campaign: Campaign,
  step: SendStep,
  ctx: LintContext,
  add: (p: Omit<LintProblem, 'campaign'>) => void,
  at: string,
): void {
  const purposeId = step.purpose ?? campaign.purpose;
  const purpose = ctx.policy.purposes.get(purposeId);
  if (purpose === undefined) {
    // The campaign-level purpose is already reported once; report a step-level override here.
    if (step.purpose !== undefined)
      add({
        code: 'purpose_unknown',
        step: step.id,
        message: `${at}: purpose "${purposeId}" is not in policy/purposes.ts`,
      });
    return;
  }
  if (!purpose.channels.has(step.channel)) {
    add({
      code: 'channel_not_allowed',
      step: step.id,
      message: `${at}: channel ${step.channel} is not allowed for purpose "${purposeId}" (allowed: ${list(purpose.channels)}); change the channel or the purpose`,
    });
  }
  const processor = processorProblem(step, purposeId, ctx);
  if (processor !== undefined) add({ code: 'processor_not_authorized', step: step.id, message: `${at}: ${processor}` });
  for (const p of templateProblems(step, purpose, ctx)) add({ ...p, step: step.id, message: `${at}: ${p.message}` });
}

function processorProblem(step: SendStep, purposeId: string, ctx: LintContext): string | undefined {
  const proc = ctx.policy.processors.get(step.processor);
  if (proc === undefined)
    return `processor "${step.processor}" is not in policy/processors.ts; use one of ${list(ctx.policy.processors.keys())}`;
  if (!proc.purposes.has(purposeId))
    return `processor "${step.processor}" is not authorised for purpose "${purposeId}" (its agreement covers ${list(proc.purposes)}); pick another processor or extend its agreement`;
  if (!proc.hasAgreement)
    return `processor "${step.processor}" has no agreement on file (PIPL 21); record the agreement in policy/processors.ts`;
  if (ctx.nowMs !== undefined && (ctx.nowMs < proc.validFromMs || ctx.nowMs > proc.validUntilMs)) {
    return `processor "${step.processor}" agreement ${proc.processor.agreementId ?? ''} is not in force now (${proc.processor.agreementValidFrom ?? '…'} to ${proc.processor.agreementValidUntil ?? '…'}); renew it or use another processor`;
  }
  return undefined;
}

/** The fields a campaign touches, per step and for its audience (what a dry run shows and the guard requests). */
export function campaignFields(
  campaign: Campaign,
  templates: ReadonlyMap<string, { readonly fields: readonly string[] }>,
  segments: Readonly<Record<string, Segment>>,
): { readonly audience: readonly string[]; readonly steps: Readonly<Record<string, readonly string[]>> } {
  const stepFields = (s: Step): readonly string[] => {
    if (s.type === 'send') return templates.get(s.template)?.fields ?? [];
    if (s.type === 'waitUntil') return [s.timezoneField];
    if (s.type === 'branch' && s.condition.kind === 'field') return [s.condition.field];
    return [];
  };
  const segment = Object.hasOwn(segments, campaign.audience.segment) ? segments[campaign.audience.segment] : undefined;
  return {
    audience: segment?.reads ?? [],
    steps: Object.fromEntries(campaign.steps.map((s) => [s.id, stepFields(s)])),
  };
}
