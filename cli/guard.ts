import { type Decision, decide } from '../domain/guard.js';
import { loadPolicy } from '../infra/policy-loader.js';
import type { RegisterCommands } from './context.js';
import { type SubjectOption, subjectRefOf, subjectStores } from './subject-stores.js';

interface CheckOptions extends SubjectOption {
  purpose: string;
  channel: string;
  fields: string;
  processor?: string;
  template: string;
  campaign: string;
  step: string;
  json?: boolean;
}

/** The processor a send for this purpose would use when none is named: one in contract for it, if any. */
function defaultProcessor(purpose: string, nowMs: number, bundle: ReturnType<typeof loadPolicy>['policy']): string {
  const candidates = [...bundle.processors.values()].filter((p) => p.purposes.has(purpose));
  const inForce = candidates.find((p) => p.hasAgreement && p.validFromMs <= nowMs && nowMs < p.validUntilMs);
  return (inForce ?? candidates[0])?.processor.id ?? '(none)';
}

function render(d: Decision): string {
  const list = (xs: readonly string[]) => (xs.length ? xs.join(', ') : '-');
  return [
    `${d.outcome.toUpperCase()}  ${d.purpose} via ${d.channel} to ${d.processor}  subject ${d.subjectRef}`,
    ...(d.outcome === 'deny' ? [`  reasons:   ${d.reasons.join(', ')}`] : []),
    ...(d.outcome === 'deny' && d.fieldsNotAllowed.length ? [`  not allowed: ${d.fieldsNotAllowed.join(', ')}`] : []),
    `  requested: ${list(d.fieldsRequested)}`,
    `  released:  ${list(d.fieldsReleased)}`,
    `  withheld:  ${list(d.fieldsWithheld)}`,
    `  consent:   ${d.consentEventId ?? 'none'}${d.noticeVersion ? ` (notice v${d.noticeVersion})` : ''}`,
    `  policy:    ${d.policyVersion}`,
  ].join('\n');
}

/** `guard check`: explains one decision from live state; sends nothing and writes nothing. */
export const registerGuardCommands: RegisterCommands = (program, ctx) => {
  const guard = program.command('guard').description('the consent guard every send passes through');
  guard
    .command('check')
    .description('explain the decision the guard would make now (read-only: sends nothing, logs nothing)')
    .option('--subject <id>', 'the subject id as your systems know it')
    .option('--ref <subjectRef>', 'the subject by its pseudonymous ref instead')
    .requiredOption('--purpose <purpose>', 'purpose id, e.g. marketing.email.newsletter')
    .requiredOption('--channel <channel>', 'email or sms')
    .option('--fields <a,b>', 'merge fields the template needs (the channel address is added)', '')
    .option('--processor <id>', 'processor that would receive the message (default: one in contract for the purpose)')
    .option('--template <id>', 'template id', 'cli')
    .option('--campaign <id>', 'campaign id', 'cli')
    .option('--step <id>', 'step id', 'guard-check')
    .option('--json', 'print the decision as JSON')
    .action(async (o: CheckOptions) => {
      const ref = subjectRefOf(o, ctx);
      const { policy } = loadPolicy(await ctx.policy());
      const now = new Date();
      // Unknown purposes, channels and processors are not usage errors here: explaining the denial is the point.
      const state = await (await subjectStores(ctx)).consent.loadGuardState(ref);
      const request = {
        campaignId: o.campaign,
        stepId: o.step,
        subjectRef: ref,
        purpose: o.purpose,
        channel: o.channel,
        processor: o.processor ?? defaultProcessor(o.purpose, now.getTime(), policy),
        templateId: o.template,
        fields: o.fields
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean),
      };
      const decision = decide(request, state, policy, now);
      ctx.print(
        o.json,
        { ...decision, ...(state.loadError ? { loadError: state.loadError } : {}) },
        () => render(decision) + (state.loadError ? `\n  store:     ${state.loadError}` : ''),
      );
    });
};
