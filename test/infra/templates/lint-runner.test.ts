import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lintAll, lintById, UnknownCampaignError } from '../../../infra/templates/lint-runner.js';
import { badSources, shippedSources } from '../../fixtures/lint-sources.js';

test('every shipped campaign lints clean against the shipped templates, segments and policy', async () => {
  const results = lintAll(await shippedSources());
  assert.deepEqual(
    results.map((r) => r.campaign),
    ['cn-sms-promo', 'reengagement', 'welcome-series', 'winter-promo'],
  );
  for (const r of results) assert.deepEqual(r.problems, [], r.campaign);
});

test('a template needing a field the purpose does not allow fails lint, naming campaign, step and field', async () => {
  const r = lintById('birthday-newsletter', await badSources());
  assert.equal(r.ok, false);
  assert.deepEqual(
    r.problems.map((p) => [p.code, p.campaign, p.step, p.field]),
    [['field_not_allowed', 'birthday-newsletter', 'send-it', 'birth_year']],
  );
  assert.match(
    r.problems[0]?.message ?? '',
    /template "newsletter-birthday" needs field "birth_year", which purpose "marketing.email.newsletter" does not allow/,
  );
});

test('an undeclared sensitive field and a conditional unsubscribe link fail lint from the real template files', async () => {
  const codes = lintById('health-tips', await badSources()).problems.map((p) => `${p.code}:${p.field ?? ''}`);
  assert.deepEqual(codes.sort(), ['field_not_allowed:health_interest', 'unsubscribe_block_missing:']);
});

test('an essential notice with an offer fails lint with promotional_essential', async () => {
  const codes = lintById('order-notice', await badSources()).problems.map((p) => p.code);
  assert.deepEqual(codes, ['promotional_essential']);
});

test('an unknown campaign id throws, naming the known ones', async () => {
  const sources = await shippedSources();
  assert.throws(
    () => lintById('nope', sources),
    (e: unknown) =>
      e instanceof UnknownCampaignError &&
      /no campaign "nope"; known campaigns: cn-sms-promo, reengagement, welcome-series, winter-promo/.test(e.message),
  );
});
