import type { Campaign } from '../../domain/campaign.js';
import { lintCampaign, type LintProblem } from '../../domain/campaign-lint.js';
import { compilePolicy, type CompiledPolicy } from '../../domain/policy.js';
import type { Segment } from '../../domain/segment.js';
import type { TemplateFacts } from '../../domain/template.js';
import { campaigns as shippedCampaigns } from '../../campaigns/index.js';
import { policy as shippedPolicy } from '../../policy/index.js';
import { segments as shippedSegments } from '../../segments/index.js';
import { loadShippedTemplates } from './shipped.js';

/** The lint result for one campaign. */
export interface CampaignLintResult {
  readonly campaign: string;
  readonly ok: boolean;
  readonly problems: readonly LintProblem[];
}

/** Everything the lint checks against; tests pass their own, the defaults are what ships. */
export interface LintSources {
  readonly campaigns: Readonly<Record<string, Campaign>>;
  readonly templates: ReadonlyMap<string, TemplateFacts>;
  readonly segments: Readonly<Record<string, Segment>>;
  readonly policy: CompiledPolicy;
  readonly nowMs: number;
}

/** A campaign id that no campaign in `campaigns/` has. */
export class UnknownCampaignError extends Error {
  override readonly name = 'UnknownCampaignError';
}

/** The shipped campaigns, templates, segments and policy, loaded fresh (templates are parsed from disk). */
export function shippedLintSources(nowMs = Date.now()): LintSources {
  // The policy version does not affect lint results; the guard computes the real one.
  return { campaigns: shippedCampaigns, templates: loadShippedTemplates().facts(), segments: shippedSegments, policy: compilePolicy(shippedPolicy, 'lint'), nowMs };
}

/** Lints one campaign by id; throws UnknownCampaignError naming the ids that exist. */
export function lintById(id: string, sources: LintSources = shippedLintSources()): CampaignLintResult {
  const campaign = Object.hasOwn(sources.campaigns, id) ? sources.campaigns[id] : undefined;
  if (campaign === undefined) throw new UnknownCampaignError(`no campaign "${id}"; known campaigns: ${Object.keys(sources.campaigns).sort().join(', ')}`);
  const problems = lintCampaign(campaign, sources);
  return { campaign: id, ok: problems.length === 0, problems };
}

/** Lints every campaign, in id order. */
export function lintAll(sources: LintSources = shippedLintSources()): CampaignLintResult[] {
  return Object.keys(sources.campaigns).sort().map((id) => lintById(id, sources));
}
