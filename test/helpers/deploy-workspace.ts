import { cpSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openWorkspace, type Workspace } from '../../infra/workspace/load.js';
import { defineCampaignImport } from './temp-workspace.js';
import { exampleRoot } from './example-workspace.js';
import { uniqueId } from './services.js';

const fileUrl = (...p: string[]) => pathToFileURL(join(exampleRoot, ...p)).href;

/** A workspace a test edits between deploys: its own policy, a journey campaign, a segment and template copies. */
export interface DeployWorkspace {
  readonly root: string;
  /** The journey campaign's id (unique per workspace, since workflow ids are global to the namespace). */
  readonly campaignId: string;
  readonly segmentId: string;
  /** Rewrites a template's subject line. */
  setSubject(templateId: string, subject: string): void;
  /** Rewrites the segment to admit profiles whose first_name is `name`. */
  setSegmentName(name: string): void;
  /** Makes the newsletter purpose personalised (PIPL 24) or not. */
  setNewsletterPersonalised(on: boolean): void;
  open(): Promise<Workspace>;
}

// Content files are re-imported when their mtime changes; a rewrite in the same millisecond must still count.
function write(file: string, text: string): void {
  writeFileSync(file, text);
  const t = new Date(Date.now() + Math.floor(Math.random() * 1e6));
  utimesSync(file, t, t);
}

/**
 * A fresh workspace: a journey campaign (welcome-1, then on a `clicked` event welcome-2), a segment of profiles by
 * first name, the example templates copied, and a policy that wraps the example one.
 */
export function deployWorkspace(): DeployWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'cf-deploy-'));
  for (const d of ['policy', 'campaigns', 'segments']) mkdirSync(join(root, d));
  cpSync(join(exampleRoot, 'campaigns', 'templates'), join(root, 'campaigns', 'templates'), { recursive: true });
  const campaignId = uniqueId('drip');
  const segmentId = uniqueId('named');
  write(
    join(root, 'campaigns', 'drip.ts'),
    `${defineCampaignImport}
export const drip = defineCampaign({
  id: '${campaignId}', name: 'Drip', description: 'Two mails, the second after a click', purpose: 'marketing.email.newsletter',
  audience: { segment: '${segmentId}' },
  steps: [
    { id: 'first', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' },
    { id: 'clicked', type: 'branch', condition: { kind: 'event', event: 'clicked', within: '30d' }, then: 'second', otherwise: 'done' },
    { id: 'second', type: 'send', channel: 'email', template: 'welcome-2', processor: 'smtp-relay' },
    { id: 'done', type: 'exit' },
  ],
});
`,
  );
  const ws: DeployWorkspace = {
    root,
    campaignId,
    segmentId,
    setSubject(templateId, subject) {
      const file = join(root, 'campaigns', 'templates', `${templateId}.hbs`);
      write(file, readFileSync(file, 'utf8').replace(/^subject: .*$/m, `subject: ${JSON.stringify(subject)}`));
    },
    setSegmentName(name) {
      write(
        join(root, 'segments', 'named.ts'),
        `import { defineSegment } from '${fileUrl('domain', 'segment.ts')}';
export const named = defineSegment({ id: '${segmentId}', description: 'Profiles by first name', reads: ['first_name'], where: (p) => p.first_name === ${JSON.stringify(name)} });
`,
      );
    },
    setNewsletterPersonalised(on) {
      write(
        // JavaScript: tsx serves a TypeScript module from its cache however the import URL is varied.
        join(root, 'policy', 'index.mjs'),
        `import { policyInput } from '${fileUrl('policy', 'index.ts')}';
export default { ...policyInput, purposes: policyInput.purposes.map((p) => (p.id === 'marketing.email.newsletter' ? { ...p, personalised: ${on} } : p)) };
`,
      );
    },
    open: () => openWorkspace(root),
  };
  ws.setSegmentName('Dripper');
  ws.setNewsletterPersonalised(false);
  return ws;
}
