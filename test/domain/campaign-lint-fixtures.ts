// Shared campaign-lint fixtures: templates, segments, the lint context, and an expect() that records which codes
// a file exercised, so each test file can check it covers its share of LintCode.
import assert from 'node:assert/strict';
import { Campaign, type CampaignInput } from '../../domain/campaign.js';
import { lintCampaign, LintCode, type LintContext, type LintProblem } from '../../domain/campaign-lint.js';
import { compilePolicy } from '../../domain/policy.js';
import { defineSegment } from '../../domain/segment.js';
import type { TemplateFacts } from '../../domain/template.js';
import { policy } from '../../policy/index.js';

export const footer = ['links.unsubscribe', 'links.why', 'sender.name', 'sender.postalAddress'];
export const tpl = (over: Partial<TemplateFacts> & { id: string }): TemplateFacts => ({
  channel: 'email',
  kind: 'marketing',
  subject: 'Hi',
  fields: ['first_name'],
  contentHash: 'a'.repeat(64),
  referencedFields: ['first_name'],
  reservedByPart: { text: footer, html: footer },
  promotionalTerms: [],
  ...over,
});
export const templates = new Map<string, TemplateFacts>([
  ['hello', tpl({ id: 'hello' })],
  [
    'birthday',
    tpl({ id: 'birthday', fields: ['first_name', 'birth_year'], referencedFields: ['birth_year', 'first_name'] }),
  ],
  ['sneaky', tpl({ id: 'sneaky', fields: [], referencedFields: ['city.name'] })],
  [
    'hello-sms',
    tpl({
      id: 'hello-sms',
      channel: 'sms',
      subject: undefined,
      reservedByPart: { text: ['sender.name'] },
      smsSource: '【{{sender.name}}】{{first_name}}, 8 折 回复TD退订',
    }),
  ],
  ['bare', tpl({ id: 'bare', reservedByPart: { text: ['links.why'], html: footer } })],
  ['receipt', tpl({ id: 'receipt', kind: 'essential', reservedByPart: { text: [] }, promotionalTerms: ['% off'] })],
  ['declared-promo', tpl({ id: 'declared-promo', kind: 'essential', reservedByPart: { text: [] }, promotional: true })],
  ['with-ghost-fallback', tpl({ id: 'with-ghost-fallback', fallback: 'ghost' })],
  [
    'sms-unsigned',
    tpl({
      id: 'sms-unsigned',
      channel: 'sms',
      subject: undefined,
      reservedByPart: { text: [] },
      smsSource: '{{first_name}}, 8 折 回复TD退订',
    }),
  ],
  [
    'sms-no-opt-out',
    tpl({
      id: 'sms-no-opt-out',
      channel: 'sms',
      subject: undefined,
      reservedByPart: { text: [] },
      smsSource: '【Shop】{{first_name}}, 8 折',
    }),
  ],
]);
export const segments = {
  'newsletter-subscribers': defineSegment({
    id: 'newsletter-subscribers',
    description: 'all',
    reads: [],
    consent: { purpose: 'marketing.email.newsletter', channel: 'email' },
    where: () => true,
  }),
  'germany-loyal': defineSegment({
    id: 'germany-loyal',
    description: 'de',
    reads: ['country', 'loyalty_tier'],
    where: () => true,
  }),
  'sms-folk': defineSegment({
    id: 'sms-folk',
    description: 'x',
    reads: [],
    consent: { purpose: 'marketing.email.newsletter', channel: 'sms' },
    where: () => true,
  }),
  'sms-subscribers': defineSegment({
    id: 'sms-subscribers',
    description: 'x',
    reads: [],
    jurisdictions: ['EU'],
    consent: { purpose: 'marketing.sms', channel: 'sms' },
    where: () => true,
  }),
  'cn-shoppers': defineSegment({
    id: 'cn-shoppers',
    description: 'cn',
    reads: [],
    jurisdictions: ['CN'],
    where: () => true,
  }),
  'eu-shoppers': defineSegment({
    id: 'eu-shoppers',
    description: 'eu',
    reads: [],
    jurisdictions: ['EU'],
    where: () => true,
  }),
  'ghost-consent': defineSegment({
    id: 'ghost-consent',
    description: 'x',
    reads: [],
    consent: { purpose: 'marketing.ghost', channel: 'email' },
    where: () => true,
  }),
};
export const ctx: LintContext = {
  templates,
  segments,
  policy: compilePolicy(policy, 'test'),
  nowMs: Date.parse('2025-09-01T00:00:00Z'),
};

export const send = (over: Record<string, unknown> = {}) => ({
  id: 'send-it',
  type: 'send' as const,
  channel: 'email' as const,
  template: 'hello',
  processor: 'smtp-relay',
  ...over,
});
// Campaign.parse, not defineCampaign: the lint must also catch what a hand-built snapshot gets wrong.
export const lint = (over: Partial<CampaignInput> = {}): LintProblem[] =>
  lintCampaign(
    Campaign.parse({
      id: 'c1',
      name: 'C',
      description: 'd',
      purpose: 'marketing.email.newsletter',
      audience: { segment: 'newsletter-subscribers' },
      steps: [send()],
      ...over,
    }),
    ctx,
  );
export const only = (problems: LintProblem[], code: LintCode): LintProblem => {
  assert.deepEqual(
    problems.map((p) => p.code),
    [code],
    JSON.stringify(problems, null, 1),
  );
  return problems[0] as LintProblem;
};
export const seen = new Set<string>();
export const expect = (problems: LintProblem[], code: LintCode, want: Partial<LintProblem>, message: RegExp): void => {
  const p = problems.find(
    (x) =>
      x.code === code &&
      message.test(x.message) &&
      Object.entries(want).every(([k, v]) => x[k as keyof LintProblem] === v),
  );
  assert.ok(
    p,
    `no ${code} ${JSON.stringify(want)} matching ${String(message)} in ${JSON.stringify(problems, null, 1)}`,
  );
  assert.equal(p.campaign, 'c1');
  assert.match(p.message, /^campaign "c1"/);
  seen.add(code);
};

// The codes campaign-lint-content.test.ts exercises; campaign-lint-steps-and-jurisdictions.test.ts exercises the
// rest, so a new code falls to the latter and fails its coverage test until a test there (or here) reaches it.
export const contentCodes: readonly LintCode[] = [
  'field_not_allowed',
  'processor_not_authorized',
  'channel_not_allowed',
  'template_missing',
  'template_channel_mismatch',
  'unsubscribe_block_missing',
  'sender_identity_missing',
  'why_link_missing',
  'promotional_essential',
  'segment_unknown',
  'purpose_unknown',
];
export const stepAndJurisdictionCodes: readonly LintCode[] = Object.values(LintCode).filter(
  (c) => !contentCodes.includes(c),
);
