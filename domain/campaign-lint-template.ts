import type { SendStep } from './campaign.js';
import type { LintCode, LintContext } from './campaign-lint-types.js';
import type { CompiledPurpose } from './policy.js';
import { requiredReserved, type TemplateFacts } from './template.js';
import { smsRuleProblems } from './sms-lint.js';

/** A template finding before the campaign and step prefix are added. */
export interface TemplateProblem {
  readonly code: LintCode;
  readonly template: string;
  readonly field?: string;
  readonly message: string;
}

const MISSING_CODE: Readonly<Record<string, LintCode>> = {
  'links.unsubscribe': 'unsubscribe_block_missing',
  'links.why': 'why_link_missing',
  'sender.name': 'sender_identity_missing',
  'sender.postalAddress': 'sender_identity_missing',
};

/** Checks a send step's template and its fallback against the purpose, the processor and the content rules. */
export function templateProblems(step: SendStep, purpose: CompiledPurpose, ctx: LintContext): TemplateProblem[] {
  const out: TemplateProblem[] = [];
  const t = ctx.templates.get(step.template);
  if (t === undefined) {
    return [
      {
        code: 'template_missing',
        template: step.template,
        message: `template "${step.template}" does not exist; add campaigns/templates/${step.template}.hbs or fix the id`,
      },
    ];
  }
  out.push(...withVariants(t, step, purpose, ctx, ''));
  if (t.fallback !== undefined) {
    const f = ctx.templates.get(t.fallback);
    if (f === undefined) {
      out.push({
        code: 'template_missing',
        template: t.fallback,
        message: `fallback template "${t.fallback}" of "${t.id}" does not exist; add campaigns/templates/${t.fallback}.hbs or fix the fallback id`,
      });
    } else out.push(...withVariants(f, step, purpose, ctx, ` (fallback of "${t.id}")`));
  }
  return out;
}

// Every language variant is a message a subject can receive, so each one meets every rule on its own.
function withVariants(
  t: TemplateFacts,
  step: SendStep,
  purpose: CompiledPurpose,
  ctx: LintContext,
  via: string,
): TemplateProblem[] {
  return [
    oneTemplate(t, step, purpose, ctx, via),
    ...(t.variants ?? []).map((v) => oneTemplate(v, step, purpose, ctx, `${via} (${v.lang} variant)`)),
  ].flat();
}

function oneTemplate(
  t: TemplateFacts,
  step: SendStep,
  purpose: CompiledPurpose,
  ctx: LintContext,
  via: string,
): TemplateProblem[] {
  const out: TemplateProblem[] = [];
  const name = `template "${t.id}"${via}`;
  const add = (code: LintCode, message: string, field?: string): void =>
    void out.push({ code, template: t.id, ...(field === undefined ? {} : { field }), message: `${name} ${message}` });
  if (t.channel !== step.channel)
    add(
      'template_channel_mismatch',
      `is a ${t.channel} template but the step sends ${step.channel}; use a ${step.channel} template`,
    );

  const declared = new Set(t.fields);
  for (const path of t.referencedFields) {
    const root = path.split('.')[0] ?? path;
    if (!declared.has(root))
      add(
        'field_not_allowed',
        `uses "${path}" but does not declare "${root}" in its front matter fields; declare it (if the purpose allows it) or remove it`,
        root,
      );
  }
  const address = ctx.policy.addressFields.get(step.channel);
  const proc = ctx.policy.processors.get(step.processor);
  for (const f of t.fields) {
    // The channel's address field is allowed implicitly (it is how the message arrives).
    if (!purpose.allowedFields.has(f) && f !== address) {
      add(
        'field_not_allowed',
        `needs field "${f}", which purpose "${purpose.purpose.id}" does not allow (allowed: ${[...purpose.allowedFields].join(', ')}); remove it from the template or send under a purpose that allows it`,
        f,
      );
    }
    if (proc !== undefined && !proc.fields.has(f)) {
      add(
        'processor_not_authorized',
        `needs field "${f}", but processor "${proc.processor.id}" may not receive it; remove the field or extend the processor's agreement`,
        f,
      );
    }
  }
  if (proc !== undefined && address !== undefined && !proc.fields.has(address)) {
    add(
      'processor_not_authorized',
      `is delivered to the ${step.channel} address, but processor "${proc.processor.id}" may not receive field "${address}"`,
      address,
    );
  }

  if (t.kind === 'marketing') {
    for (const [part, present] of Object.entries(t.reservedByPart)) {
      const have = new Set(present);
      for (const v of requiredReserved(t.channel)) {
        const code = MISSING_CODE[v];
        if (code !== undefined && !have.has(v))
          add(
            code,
            `${part} part does not always print {{${v}}}; marketing messages must carry it outside any {{#if}}/{{#each}} block`,
          );
      }
    }
    if (t.channel === 'sms') for (const p of smsRuleProblems(t.smsSource ?? '')) add(p.code, p.message);
  } else if (t.promotional === true || t.promotionalTerms.length > 0) {
    const why =
      t.promotional === true
        ? 'declares promotional: true'
        : `contains promotional wording (${t.promotionalTerms.join(', ')})`;
    add(
      'promotional_essential',
      `is essential (sent even to people who unsubscribed) but ${why}; remove the promotion or make it a marketing template`,
    );
  }
  return out;
}
