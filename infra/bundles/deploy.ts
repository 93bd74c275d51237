import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleTemplateIds, type CampaignBundle } from '../../domain/bundle.js';
import type { Campaign } from '../../domain/campaign.js';
import { lintCampaign, type LintProblem } from '../../domain/campaign-lint.js';
import { failureLine } from '../../domain/load-result.js';
import type { PolicyBundle } from '../../domain/policy.js';
import type { BundleStore } from '../redis/bundle-store.js';
import { workspaceLintSources } from '../templates/lint-runner.js';
import type { Workspace } from '../workspace/load.js';
import { compileSegmentCode } from './segment-code.js';

/** What a deploy did: the bundle's hash (also the campaign version runs log), or why nothing was stored. */
export type DeployResult =
  | {
      readonly ok: true;
      readonly hash: string;
      readonly created: boolean;
      readonly campaign: Campaign;
      readonly policyVersion: string;
      /** The policy snapshot was stored by this deploy (a policy version not deployed before). */
      readonly policyCreated: boolean;
    }
  | { readonly ok: false; readonly reason: 'lint'; readonly problems: readonly LintProblem[] }
  | { readonly ok: false; readonly reason: 'content'; readonly message: string };

/** Builds a campaign's bundle from a loaded workspace; the campaign must lint clean against `policy` first. */
export async function buildBundle(
  ws: Workspace,
  policy: PolicyBundle,
  policyVersion: string,
  campaign: Campaign,
): Promise<{ ok: true; bundle: CampaignBundle } | { ok: false; message: string }> {
  const templates: Record<string, string> = {};
  for (const id of bundleTemplateIds(campaign, (t) => ws.templates.meta(t)?.fallback)) {
    try {
      templates[id] = readFileSync(join(ws.templates.dir, `${id}.hbs`), 'utf8');
    } catch (e) {
      return { ok: false, message: `template ${id} cannot be read for the bundle: ${(e as Error).message}` };
    }
  }
  const segmentId = campaign.audience.segment;
  const file = Object.hasOwn(ws.segmentFiles, segmentId) ? ws.segmentFiles[segmentId] : undefined;
  if (file === undefined)
    return { ok: false, message: `segment "${segmentId}" has no file in ${ws.paths.segments}; add it there` };
  const code = await compileSegmentCode(file, ws.paths.root);
  if (!code.ok) return { ok: false, message: failureLine(code) };
  return {
    ok: true,
    bundle: { v: 1, campaign, templates, segment: { id: segmentId, code: code.value }, policyVersion },
  };
}

/**
 * Lints a campaign (on `segment` when given), then stores its content-addressed bundle and the policy snapshot it
 * was linted against, and makes that policy the current one. Nothing is stored when the lint finds a problem.
 */
export async function deployCampaign(
  store: BundleStore,
  ws: Workspace,
  policy: PolicyBundle,
  campaign: Campaign,
  opts: { readonly segment?: string; readonly nowMs?: number } = {},
): Promise<DeployResult> {
  const target: Campaign = opts.segment === undefined ? campaign : { ...campaign, audience: { segment: opts.segment } };
  const problems = lintCampaign(target, workspaceLintSources(ws, policy, opts.nowMs));
  if (problems.length) return { ok: false, reason: 'lint', problems };
  const snapshot = await store.putPolicy(policy);
  const built = await buildBundle(ws, policy, snapshot.version, target);
  if (!built.ok) return { ok: false, reason: 'content', message: built.message };
  const { hash, created } = await store.putBundle(built.bundle);
  await store.setCurrentPolicy(snapshot.version);
  return {
    ok: true,
    hash,
    created,
    campaign: target,
    policyVersion: snapshot.version,
    policyCreated: snapshot.created,
  };
}
