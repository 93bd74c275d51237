import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Campaign, type CampaignInput } from '../../domain/campaign.js';
import {
  campaignFields,
  lintCampaign,
  LintCode,
  type LintContext,
  type LintProblem,
} from '../../domain/campaign-lint.js';
import { compilePolicy } from '../../domain/policy.js';
import { defineSegment } from '../../domain/segment.js';
import type { TemplateFacts } from '../../domain/template.js';
import { policy } from '../../policy/index.js';

const footer = ['links.unsubscribe', 'links.why', 'sender.name', 'sender.postalAddress'];
const tpl = (over: Partial<TemplateFacts> & { id: string }): TemplateFacts => ({
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
const templates = new Map<string, TemplateFacts>([
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
const segments = {
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
const ctx: LintContext = {
  templates,
  segments,
  policy: compilePolicy(policy, 'test'),
  nowMs: Date.parse('2025-09-01T00:00:00Z'),
};

const send = (over: Record<string, unknown> = {}) => ({
  id: 'send-it',
  type: 'send' as const,
  channel: 'email' as const,
  template: 'hello',
  processor: 'smtp-relay',
  ...over,
});
// Campaign.parse, not defineCampaign: the lint must also catch what a hand-built snapshot gets wrong.
const lint = (over: Partial<CampaignInput> = {}): LintProblem[] =>
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
const only = (problems: LintProblem[], code: LintCode): LintProblem => {
  assert.deepEqual(
    problems.map((p) => p.code),
    [code],
    JSON.stringify(problems, null, 1),
  );
  return problems[0] as LintProblem;
};
const seen = new Set<string>();
const expect = (problems: LintProblem[], code: LintCode, want: Partial<LintProblem>, message: RegExp): void => {
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

test('a well-formed campaign lints clean', () => assert.deepEqual(lint(), []));

test('field_not_allowed: a template field, an undeclared reference, a segment read, quiet hours and a branch field', () => {
  expect(
    lint({ steps: [send({ template: 'birthday' })] }),
    'field_not_allowed',
    { step: 'send-it', field: 'birth_year', template: 'birthday' },
    /step "send-it": template "birthday" needs field "birth_year", which purpose "marketing.email.newsletter" does not allow .* remove it/,
  );
  expect(
    lint({ steps: [send({ template: 'sneaky' })] }),
    'field_not_allowed',
    { step: 'send-it', field: 'city' },
    /uses "city.name" but does not declare "city"/,
  );
  expect(
    lint({ audience: { segment: 'germany-loyal' } }),
    'field_not_allowed',
    { field: 'country' },
    /audience segment "germany-loyal" reads field "country"/,
  );
  const quiet = lint({
    purpose: 'marketing.email',
    steps: [
      send(),
      { id: 'quiet', type: 'waitUntil', window: { start: '09:00', end: '20:00' }, timezoneField: 'timezone' },
    ],
  });
  expect(
    quiet,
    'field_not_allowed',
    { step: 'quiet', field: 'timezone' },
    /quiet hours \(timezoneField\) reads field "timezone"/,
  );
  const branch = [
    send(),
    {
      id: 'by-tier',
      type: 'branch' as const,
      condition: { kind: 'field' as const, field: 'loyalty_tier', op: 'eq' as const, value: 'gold' },
      then: 'end',
      otherwise: 'end',
    },
    { id: 'end', type: 'exit' as const },
  ];
  expect(
    lint({ steps: branch }),
    'field_not_allowed',
    { step: 'by-tier', field: 'loyalty_tier' },
    /branch condition reads field "loyalty_tier"/,
  );
});

test('processor_not_authorized: unknown, not covering the purpose, lapsed agreement, and a field it may not receive', () => {
  expect(
    lint({ steps: [send({ processor: 'pigeon-post' })] }),
    'processor_not_authorized',
    { step: 'send-it' },
    /processor "pigeon-post" is not in policy\/processors.ts/,
  );
  expect(
    lint({ steps: [send({ processor: 'ads-partner' })] }),
    'processor_not_authorized',
    { step: 'send-it' },
    /not authorised for purpose "marketing.email.newsletter"/,
  );
  expect(
    lint({ steps: [send({ processor: 'legacy-esp' })] }),
    'processor_not_authorized',
    { step: 'send-it' },
    /agreement DPA-2021-004 is not in force/,
  );
  const p = lint({
    purpose: 'marketing.personalized',
    steps: [send({ processor: 'legacy-esp', purpose: 'marketing.email', template: 'birthday' })],
  });
  expect(
    p,
    'processor_not_authorized',
    { step: 'send-it', field: 'birth_year' },
    /processor "legacy-esp" may not receive it/,
  );
});

test('channel_not_allowed: a step channel or a segment consent channel the purpose does not use', () => {
  const p = lint({ steps: [send({ channel: 'sms', template: 'hello-sms', processor: 'sms-gateway' })] });
  expect(
    p,
    'channel_not_allowed',
    { step: 'send-it' },
    /channel sms is not allowed for purpose "marketing.email.newsletter" \(allowed: email\)/,
  );
  expect(
    lint({ audience: { segment: 'sms-folk' } }),
    'channel_not_allowed',
    {},
    /segment "sms-folk" filters on sms consent/,
  );
});

test('template_missing and template_channel_mismatch, for the template and for its fallback', () => {
  expect(
    lint({ steps: [send({ template: 'nope' })] }),
    'template_missing',
    { step: 'send-it', template: 'nope' },
    /template "nope" does not exist; add campaigns\/templates\/nope.hbs/,
  );
  expect(
    lint({ steps: [send({ template: 'with-ghost-fallback' })] }),
    'template_missing',
    { template: 'ghost' },
    /fallback template "ghost" of "with-ghost-fallback"/,
  );
  expect(
    lint({ steps: [send({ template: 'hello-sms' })] }),
    'template_channel_mismatch',
    { step: 'send-it', template: 'hello-sms' },
    /is a sms template but the step sends email/,
  );
});

test('a marketing template must always print the unsubscribe link, the why-link and the sender identity', () => {
  const p = lint({ steps: [send({ template: 'bare' })] });
  expect(
    p,
    'unsubscribe_block_missing',
    { template: 'bare' },
    /text part does not always print \{\{links.unsubscribe\}\}/,
  );
  expect(p, 'sender_identity_missing', { template: 'bare' }, /\{\{sender.postalAddress\}\}/);
  expect(p, 'sender_identity_missing', { template: 'bare' }, /\{\{sender.name\}\}/);
  assert.equal(p.filter((x) => x.code === 'why_link_missing').length, 0);
  const noWhy = new Map(templates).set(
    'hello',
    tpl({
      id: 'hello',
      reservedByPart: { text: footer, html: ['links.unsubscribe', 'sender.name', 'sender.postalAddress'] },
    }),
  );
  const q = lintCampaign(
    Campaign.parse({
      id: 'c1',
      name: 'C',
      description: 'd',
      purpose: 'marketing.email.newsletter',
      audience: { segment: 'newsletter-subscribers' },
      steps: [send()],
    }),
    { ...ctx, templates: noWhy },
  );
  expect(q, 'why_link_missing', { step: 'send-it' }, /html part does not always print \{\{links.why\}\}/);
});

test('promotional_essential: promotional wording or a promotional: true declaration in an essential template', () => {
  expect(
    lint({ steps: [send({ template: 'receipt' })] }),
    'promotional_essential',
    { template: 'receipt' },
    /contains promotional wording \(% off\)/,
  );
  expect(
    lint({ steps: [send({ template: 'declared-promo' })] }),
    'promotional_essential',
    { template: 'declared-promo' },
    /declares promotional: true/,
  );
});

test('segment_unknown and purpose_unknown name what exists', () => {
  expect(
    lint({ audience: { segment: 'martians' } }),
    'segment_unknown',
    {},
    /segment "martians" does not exist; use one of newsletter-subscribers/,
  );
  const p = only(lint({ purpose: 'marketing.ghost' }), 'purpose_unknown');
  assert.match(p.message, /purpose "marketing.ghost" is not in policy\/purposes.ts; use one of marketing.email/);
  seen.add('purpose_unknown');
  expect(
    lint({ steps: [send({ purpose: 'marketing.ghost' })] }),
    'purpose_unknown',
    { step: 'send-it' },
    /step "send-it": purpose "marketing.ghost"/,
  );
  expect(
    lint({ audience: { segment: 'ghost-consent' } }),
    'purpose_unknown',
    {},
    /segment "ghost-consent" filters on consent to purpose "marketing.ghost"/,
  );
});

test('branch_target_invalid, broadcast_shape and step_id_duplicate come from the step graph', () => {
  const steps = [
    send(),
    {
      id: 'b',
      type: 'branch' as const,
      condition: { kind: 'event' as const, event: 'opened' as const, within: '3d' },
      then: 'send-it',
      otherwise: 'gone',
    },
    send(),
  ];
  const p = lint({ steps, options: { kind: 'broadcast', holdoutPercent: 0 } });
  expect(p, 'branch_target_invalid', { step: 'b' }, /step "b": branch "b" then → "send-it": it is not later/);
  expect(p, 'branch_target_invalid', { step: 'b' }, /otherwise → "gone": no step has that id/);
  expect(p, 'broadcast_shape', {}, /broadcast "c1" must be exactly one send step/);
  expect(p, 'step_id_duplicate', { step: 'send-it' }, /step id "send-it" is used twice/);
});

test('a marketing SMS needs a 【】 signature at the start and an opt-out reply instruction (MIIT Order 31)', () => {
  const sms = (template: string) =>
    lint({
      purpose: 'marketing.sms',
      audience: { segment: 'sms-subscribers' },
      steps: [send({ channel: 'sms', template, processor: 'sms-gateway' })],
    });
  assert.deepEqual(sms('hello-sms'), []);
  expect(
    sms('sms-unsigned'),
    'sms_signature_missing',
    { step: 'send-it', template: 'sms-unsigned' },
    /does not start with a sender signature in 【】/,
  );
  expect(
    sms('sms-no-opt-out'),
    'sms_opt_out_missing',
    { step: 'send-it', template: 'sms-no-opt-out' },
    /no opt-out instruction; .* e\.g\. 回复TD退订/,
  );
});

test('jurisdiction rules: a purpose, basis or processor that can never pass where the segment targets', () => {
  const soft = { purpose: 'marketing.email.reengagement', steps: [send()] };
  expect(
    lint({ ...soft, audience: { segment: 'cn-shoppers' } }),
    'jurisdiction_not_offered',
    { step: 'send-it' },
    /can never send to CN subjects: purpose "marketing.email.reengagement" is offered only in EU, UK, US/,
  );
  assert.deepEqual(lint({ ...soft, audience: { segment: 'eu-shoppers' } }), []);
  const everywhere = {
    ...ctx,
    policy: compilePolicy(
      { ...policy, purposes: policy.purposes.map((p) => ({ ...p, jurisdictions: undefined })) },
      'everywhere',
    ),
  };
  const c = Campaign.parse({ id: 'c1', name: 'C', description: 'd', audience: { segment: 'cn-shoppers' }, ...soft });
  expect(
    lintCampaign(c, everywhere),
    'legal_basis_not_permitted',
    { step: 'send-it' },
    /CN allows marketing only on consent, not soft_opt_in/,
  );
  const noFiling = {
    ...ctx,
    policy: compilePolicy(
      {
        ...policy,
        processors: policy.processors.map((p) => (p.id === 'smtp-relay' ? { ...p, transferMechanisms: [] } : p)),
      },
      'no-filing',
    ),
  };
  const cnMail = Campaign.parse({
    id: 'c1',
    name: 'C',
    description: 'd',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'cn-shoppers' },
    steps: [send()],
  });
  assert.deepEqual(lintCampaign(cnMail, ctx), [], 'the relay has a CN filing and a transfer consent purpose');
  expect(
    lintCampaign(cnMail, noFiling),
    'cross_border_transfer_not_permitted',
    { step: 'send-it' },
    /processor "smtp-relay" \(EU\) has no transfer mechanism for data from CN/,
  );
  const noTransferPurpose = {
    ...ctx,
    policy: compilePolicy(
      { ...policy, purposes: policy.purposes.filter((p) => p.transferTo === undefined) },
      'no-transfer-purpose',
    ),
  };
  expect(
    lintCampaign(cnMail, noTransferPurpose),
    'cross_border_consent_unavailable',
    { step: 'send-it' },
    /no purpose records the separate consent to transfers to "smtp-relay"/,
  );
});

test('quiet_hours_unguarded: a CN text message needs a daytime waitUntil right before it', () => {
  const sms = send({ channel: 'sms', template: 'hello-sms', processor: 'sms-gateway' });
  const base = { purpose: 'marketing.sms.promotions', audience: { segment: 'cn-shoppers' } };
  expect(
    lint({ ...base, steps: [sms] }),
    'quiet_hours_unguarded',
    { step: 'send-it' },
    /may send during CN quiet hours for sms \(21:00-08:00 Asia\/Shanghai\)/,
  );
  const waitUntil = (start: string, end: string) => ({
    id: 'daytime',
    type: 'waitUntil' as const,
    window: { start, end },
    timezoneField: 'locale',
  });
  expect(lint({ ...base, steps: [waitUntil('20:00', '22:00'), sms] }), 'quiet_hours_unguarded', {}, /quiet hours/);
  assert.deepEqual(
    lint({ ...base, steps: [waitUntil('09:00', '21:00'), sms] }).filter((p) => p.code === 'quiet_hours_unguarded'),
    [],
  );
  assert.deepEqual(
    lint({ ...base, audience: { segment: 'eu-shoppers' }, steps: [sms] }).filter(
      (p) => p.code === 'quiet_hours_unguarded',
    ),
    [],
    'no SMS quiet hours in the EU rule',
  );
});

test('every lint code is exercised by a test above', () => {
  assert.deepEqual([...seen].sort(), Object.values(LintCode).sort());
});

test('campaignFields lists what each step and the audience read', () => {
  const c = Campaign.parse({
    id: 'c1',
    name: 'C',
    description: 'd',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'germany-loyal' },
    steps: [
      send({ template: 'birthday' }),
      { id: 'q', type: 'waitUntil', window: { start: '09:00', end: '17:00' } },
      { id: 'x', type: 'exit' },
    ],
  });
  assert.deepEqual(campaignFields(c, templates, segments), {
    audience: ['country', 'loyalty_tier'],
    steps: { 'send-it': ['first_name', 'birth_year'], q: ['timezone'], x: [] },
  });
});
