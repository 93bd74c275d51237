import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Campaign } from '../../domain/campaign.js';
import { campaignFields, lintCampaign } from '../../domain/campaign-lint.js';
import {
  contentCodes,
  ctx,
  expect,
  footer,
  lint,
  only,
  seen,
  send,
  segments,
  templates,
  tpl,
} from './campaign-lint-fixtures.js';

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

test('every lint code on fields, processors, channels, templates and names is exercised by a test above', () => {
  assert.deepEqual([...seen].sort(), [...contentCodes].sort());
});
