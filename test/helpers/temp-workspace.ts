import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exampleRoot } from './example-workspace.js';

/** An import line for `defineCampaign` that resolves from any folder (the repo's own domain module). */
export const defineCampaignImport = `import { defineCampaign } from '${pathToFileURL(join(exampleRoot, 'domain', 'campaign.ts')).href}';`;

/**
 * A fresh workspace folder whose campaigns/ holds the given files next to a copy of the welcome series; policy,
 * segments and templates point at the example workspace through consentflow.config.ts.
 */
export function tempWorkspace(campaignFiles: Readonly<Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'cf-ws-'));
  mkdirSync(join(root, 'campaigns'));
  const config = {
    policy: join(exampleRoot, 'policy'),
    segments: join(exampleRoot, 'segments'),
    templates: join(exampleRoot, 'campaigns', 'templates'),
  };
  writeFileSync(join(root, 'consentflow.config.ts'), `export default ${JSON.stringify(config)};\n`);
  const welcome = readFileSync(join(exampleRoot, 'campaigns', 'welcome-series.ts'), 'utf8').replace(
    /^import \{ defineCampaign \} from .*$/m,
    defineCampaignImport,
  );
  writeFileSync(join(root, 'campaigns', 'welcome-series.ts'), welcome);
  for (const [name, source] of Object.entries(campaignFiles)) writeFileSync(join(root, 'campaigns', name), source);
  return root;
}

/** A campaign file with one property replaced; `steps` and `options` as given, everything else valid. */
export function campaignSource(over: { steps?: string; options?: string; extra?: string; plain?: boolean }): string {
  const body = `{
  id: 'cart',
  name: 'Cart',
  description: 'Abandoned cart reminder',
  purpose: 'marketing.email.newsletter',
  audience: { segment: 'newsletter-subscribers' },
  steps: ${over.steps ?? "[{ id: 'send-it', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' }]"},
  options: ${over.options ?? '{}'},${over.extra ?? ''}
}`;
  return over.plain
    ? `export default ${body};\n`
    : `${defineCampaignImport}\n\nexport const cart = defineCampaign(${body});\n`;
}
