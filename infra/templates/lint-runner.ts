import type { Campaign } from '../../domain/campaign.js';
import { lintCampaign, type LintProblem } from '../../domain/campaign-lint.js';
import { compilePolicy, type CompiledPolicy } from '../../domain/policy.js';
import type { Segment } from '../../domain/segment.js';
import type { TemplateFacts } from '../../domain/template.js';
import { smsSegmentReport, type SmsSegmentReport } from '../../domain/sms-lint.js';
import type { PolicyBundle } from '../../domain/policy.js';
import type { Workspace } from '../workspace/load.js';

/** The lint result for one campaign. */
export interface CampaignLintResult {
  readonly campaign: string;
  readonly ok: boolean;
  readonly problems: readonly LintProblem[];
  /** Segment counts of each SMS send step's template (fixed text), so a marketer sees what a message costs. */
  readonly sms: ReadonlyArray<SmsSegmentReport & { readonly step: string; readonly template: string }>;
}

/** Everything the lint checks against: a loaded workspace, or what a test passes. */
export interface LintSources {
  readonly campaigns: Readonly<Record<string, Campaign>>;
  readonly templates: ReadonlyMap<string, TemplateFacts>;
  readonly segments: Readonly<Record<string, Segment>>;
  readonly policy: CompiledPolicy;
  readonly nowMs: number;
}

/** A campaign id that no campaign in the workspace has. */
export class UnknownCampaignError extends Error {
  override readonly name = 'UnknownCampaignError';
}

/** What a loaded workspace gives the lint; its policy must have loaded. */
export function workspaceLintSources(ws: Workspace, policy: PolicyBundle, nowMs = Date.now()): LintSources {
  // The policy version does not affect lint results; the guard computes the real one.
  return {
    campaigns: ws.campaigns,
    templates: ws.templates.facts(),
    segments: ws.segments,
    policy: compilePolicy(policy, 'lint'),
    nowMs,
  };
}

/** Lints one campaign by id; throws UnknownCampaignError naming the ids that exist. */
export function lintById(id: string, sources: LintSources): CampaignLintResult {
  const campaign = Object.hasOwn(sources.campaigns, id) ? sources.campaigns[id] : undefined;
  if (campaign === undefined)
    throw new UnknownCampaignError(
      `no campaign "${id}"; known campaigns: ${Object.keys(sources.campaigns).sort().join(', ')}`,
    );
  const problems = lintCampaign(campaign, sources);
  const sms = campaign.steps.flatMap((s) => {
    const source = s.type === 'send' && s.channel === 'sms' ? sources.templates.get(s.template)?.smsSource : undefined;
    return source === undefined || s.type !== 'send'
      ? []
      : [{ step: s.id, template: s.template, ...smsSegmentReport(source) }];
  });
  return { campaign: id, ok: problems.length === 0, problems, sms };
}

/** Lints every campaign, in id order. */
export function lintAll(sources: LintSources): CampaignLintResult[] {
  return Object.keys(sources.campaigns)
    .sort()
    .map((id) => lintById(id, sources));
}
