// The files `consentflow init` writes: a small but complete workspace. Content files import only types from
// consentflow and export plain data, so they load wherever the package is installed.

const policy = `import type { PolicyBundleInput } from 'consentflow';

/** Compliance configuration, owned by privacy or legal: what may be sent, to whom, with which fields. */
export default {
  purposes: [
    {
      id: 'marketing.email.newsletter',
      description: 'Our newsletter about new products',
      legalBasis: 'consent',
      channels: ['email'],
      allowedFields: ['first_name', 'loyalty_tier'],
      maxConsentAgeDays: 730,
      minNoticeVersion: 1,
      piaId: 'PIA-1',
    },
  ],
  // contentHash: the SHA-256 (hex) of policy/notices/v1.en.txt, the text shown, so every consent names exactly it.
  notices: [{ version: 1, language: 'en', material: true, effectiveAt: '2025-01-01T00:00:00Z', contentHash: '0ed3109ce853729babf6638e972c74dfe1a5fd70a762f854281293274703f5a3' }],
  processors: [
    {
      id: 'smtp-relay',
      name: 'Your mail relay',
      role: 'processor',
      agreementId: 'DPA-1',
      agreementValidFrom: '2025-01-01T00:00:00Z',
      agreementValidUntil: '2030-12-31T23:59:59Z',
      purposes: ['marketing.email.newsletter'],
      fields: ['email', 'first_name', 'loyalty_tier'],
      region: 'EU',
      piaId: 'PIA-1',
    },
  ],
  subjectFields: [
    { name: 'email', type: 'email', category: 'contact', labels: { en: 'Email address' } },
    { name: 'phone', type: 'phone', category: 'contact', labels: { en: 'Mobile number' } },
    { name: 'first_name', type: 'string', category: 'identity', labels: { en: 'First name' } },
    { name: 'loyalty_tier', type: 'enum', category: 'behavioural', values: ['none', 'silver', 'gold'], labels: { en: 'Loyalty tier' } },
  ],
  channelAddressField: { email: 'email', sms: 'phone' },
  // Marketing rules per jurisdiction (recorded on each consent). A code matching none gets the strictest rules, so
  // subjects elsewhere are denied until you add their rule (and, for a processor abroad, its transfer mechanism).
  jurisdictions: [
    { code: 'EU', name: 'European Union', includes: ['DE', 'FR', 'IT', 'ES', 'NL'], marketingBases: ['consent', 'soft_opt_in'], guardianConsentUnderAge: 16, transferAbroad: { mechanismRequired: true, separateConsent: false } },
  ],
  // Days each data class is kept (PIPL 19); a scheduled run enforces it.
  retention: { profileAfterLastActivityDays: 1095, profileAfterWithdrawalDays: 180, consentEventsDays: 1825, accessBundlesDays: 30, logSegmentsDays: 1095, reportsDays: 1095, sendLedgerDays: 90 },
  // Shown on every subject page and in every message (From name, footer).
  brand: {
    name: 'Your Shop',
    colours: { primary: '#0b4f9c', text: '#1a1a1a', background: '#fafafa' },
    postalAddress: 'Your Shop Ltd, 1 Example Street, 10115 Berlin, Germany',
  },
} satisfies PolicyBundleInput;
`;

const segment = `import type { SegmentInput } from 'consentflow';

/** Everyone who currently consents to the newsletter by email. */
export default {
  id: 'subscribers',
  description: 'Everyone who currently consents to the newsletter by email',
  reads: [],
  consent: { purpose: 'marketing.email.newsletter', channel: 'email' },
  where: () => true,
} satisfies SegmentInput;
`;

const campaign = `import type { CampaignInput } from 'consentflow';

/** A hello to every subscriber; two days later, a thank-you only for gold members. */
export default {
  id: 'welcome',
  name: 'Welcome',
  description: 'A hello, then a thank-you for gold members',
  purpose: 'marketing.email.newsletter',
  audience: { segment: 'subscribers' },
  steps: [
    { id: 'send-hello', type: 'send', channel: 'email', template: 'hello', processor: 'smtp-relay' },
    { id: 'wait-2-days', type: 'wait', duration: '2d' },
    { id: 'is-gold', type: 'branch', condition: { kind: 'field', field: 'loyalty_tier', op: 'eq', value: 'gold' }, then: 'send-thanks', otherwise: 'done' },
    { id: 'send-thanks', type: 'send', channel: 'email', template: 'gold-thanks', processor: 'smtp-relay' },
    { id: 'done', type: 'exit' },
  ],
  options: { kind: 'journey', frequencyCap: { channel: 'email', max: 2, per: '7d' } },
} satisfies CampaignInput;
`;

const footer = `--
Why did you get this? {{links.why}}
Manage your preferences: {{links.preferences}}
Unsubscribe with one click: {{links.unsubscribe}}
{{sender.name}}, {{sender.postalAddress}}`;

const template = (id: string, subject: string, fields: string, body: string) => `---
id: ${id}
channel: email
kind: marketing
description: ${subject}
subject: "${subject}"
fields: [${fields}]
---
${body}

${footer}
`;

// The notice text; its SHA-256 is the contentHash above, and the API serves it at /notices/1.
const notice =
  'Privacy notice for marketing (version 1)\n\nWho we are: Your Shop, 1 Example Street, 10115 Berlin. With your consent we send you our newsletter by email, using your address, first name and loyalty tier. You can withdraw at any time with the link in every message or in the preference centre.\n';

/** Relative path → content of every file `init` writes. */
export const scaffold: Readonly<Record<string, string>> = {
  'policy/index.ts': policy,
  'policy/notices/v1.en.txt': notice,
  'segments/subscribers.ts': segment,
  'campaigns/welcome.ts': campaign,
  'campaigns/templates/hello.hbs': template(
    'hello',
    'Hello, {{first_name}}',
    'first_name',
    'Hi {{first_name}},\n\nthanks for subscribing.',
  ),
  'campaigns/templates/gold-thanks.hbs': template(
    'gold-thanks',
    'Thank you, {{first_name}}',
    'first_name, loyalty_tier',
    'Hi {{first_name}},\n\nthank you for being a {{loyalty_tier}} member.',
  ),
  'people.csv':
    'id,email,first_name,loyalty_tier\ncust-1,ada@example.org,Ada,gold\ncust-2,ben@example.org,Ben,silver\n',
  'README.md': `# consentflow workspace

- \`policy/index.ts\`: purposes, notices, processors, subject fields, brand; \`policy/notices/\`: the notice texts.
- \`segments/*.ts\`, \`campaigns/*.ts\`: every file is discovered; there is no index to register in.
- \`campaigns/templates/*.hbs\`: front matter, a text part, and optionally \`=== html ===\` and an HTML part.

From this folder (\`npx consentflow …\` uses this folder as the workspace):

\`\`\`sh
npm install --save-dev smtp-server@3                  # once: dev's local SMTP sink (not needed with SMTP_URL)
npx consentflow dev                                   # in a second terminal: Temporal, Redis, SMTP sink, worker, API
npx consentflow subject import people.csv
npx consentflow consent grant --subject cust-1 --purpose marketing.email.newsletter --channel email
npx consentflow campaign lint
npx consentflow campaign dry-run welcome
npx consentflow campaign start welcome --time-scale 0.0001
ls .data/outbox/                                      # the email, as an .eml file
\`\`\`
`,
};
