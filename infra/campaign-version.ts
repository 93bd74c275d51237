import { createHash } from 'node:crypto';
import type { Campaign } from '../domain/campaign.js';
import type { TemplatePort } from '../activities/send-pipeline.js';
import { canonicalJson } from './policy-loader.js';

/** A short content hash of the campaign and every template it sends: logged with each decision. */
export function campaignVersion(campaign: Campaign, templates: TemplatePort): string {
  const used = campaign.steps.flatMap((s) => (s.type === 'send' ? [s.template] : []));
  const hashes = Object.fromEntries(used.map((t) => [t, templates.info(t)?.contentHash ?? 'missing']));
  return createHash('sha256').update(canonicalJson({ campaign, templates: hashes })).digest('hex').slice(0, 16);
}
