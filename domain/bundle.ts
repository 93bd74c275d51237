import { z } from 'zod';
import { Campaign } from './campaign.js';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in 64 lowercase hex characters');

/** A content hash: bundles and policy snapshots are addressed by the SHA-256 of their canonical JSON. */
export const ContentHash = Sha256;
export type ContentHash = z.infer<typeof ContentHash>;

/**
 * What a deploy stores: the campaign, the text of every template it may send, its segment compiled to one
 * self-contained module, and the version of the policy it was linted against. Plain data, so it hashes and travels.
 */
export const CampaignBundle = z.strictObject({
  v: z.literal(1),
  campaign: Campaign,
  /** Template id → the `.hbs` file's text, for each send step's template and its generic fallback. */
  templates: z.record(z.string(), z.string()),
  /** The audience segment as an ES module (its predicate is code); null for a campaign started on named subjects only. */
  segment: z.strictObject({ id: z.string().min(1), code: z.string().min(1) }).nullable(),
  policyVersion: Sha256,
});
export type CampaignBundle = z.infer<typeof CampaignBundle>;

/** The templates a campaign may send: each send step's, plus the generic fallback named in each one's front matter. */
export function bundleTemplateIds(campaign: Campaign, fallbackOf: (id: string) => string | undefined): string[] {
  const ids = new Set<string>();
  for (const s of campaign.steps) {
    if (s.type !== 'send') continue;
    ids.add(s.template);
    const fallback = fallbackOf(s.template);
    if (fallback !== undefined) ids.add(fallback);
  }
  return [...ids].sort();
}
