import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageLanguage } from '../../../api/i18n/languages.js';
import { en } from '../../../api/i18n/locales/en.js';
import { zhCN } from '../../../api/i18n/locales/zh-cn.js';
import { createPageI18n, messageKeys } from '../../../api/i18n/page-text.js';
import { checkPolicy } from '../../../domain/policy-check.js';
import { policy, policyInput } from '../../../policy/index.js';

test("the page language: the switch, then the subject's own language, then CN jurisdiction, then Accept-Language, then English", () => {
  assert.equal(pageLanguage({ chosen: 'en', subject: { language: 'zh-CN', jurisdiction: 'CN' } }), 'en');
  assert.equal(pageLanguage({ subject: { language: 'zh-CN', jurisdiction: 'EU' }, acceptLanguage: 'en' }), 'zh-CN');
  assert.equal(
    pageLanguage({ subject: { language: 'en', jurisdiction: 'CN' }, acceptLanguage: 'zh-CN' }),
    'en',
    'a CN subject who answered in English reads English',
  );
  assert.equal(
    pageLanguage({ subject: { language: 'fr', jurisdiction: 'CN' } }),
    'zh-CN',
    'CN subjects default to zh-CN',
  );
  assert.equal(
    pageLanguage({ subject: { language: 'fr', jurisdiction: 'FR' }, acceptLanguage: 'zh;q=0.9, fr;q=0.8' }),
    'zh-CN',
  );
  assert.equal(pageLanguage({ acceptLanguage: 'de-DE, zh-TW;q=0.5' }), 'en', 'no page language matches: English');
  assert.equal(pageLanguage({}), 'en');
});

test('every English text key exists in Chinese and nothing else does (key coverage across languages)', () => {
  assert.deepEqual(messageKeys(zhCN).sort(), messageKeys(en).sort());
  const missing: string[] = [];
  const i18n = createPageI18n(policy.brand!, (lang, key) => missing.push(`${lang}:${key}`));
  const zh = i18n.text('zh-CN');
  for (const key of messageKeys(en)) assert.notEqual(zh.t(key), key, key);
  for (const p of policy.purposes) assert.ok(!zh.purpose(p).name.includes(p.id));
  assert.deepEqual(missing, []);
  zh.t('preferences.nonexistent');
  assert.deepEqual(
    missing,
    ['zh-CN:preferences.nonexistent'],
    'a missing text is reported, not silently shown in English',
  );
});

test("policy check requires a brand and every purpose's name and description in each notice language", () => {
  assert.equal(checkPolicy(policyInput).ok, true);
  const { brand: _, ...noBrand } = policyInput;
  const withoutBrand = checkPolicy(noBrand);
  assert.ok(!withoutBrand.ok && withoutBrand.problems.some((p) => p.code === 'brand_missing' && p.path === 'brand'));
  const badColour = checkPolicy({
    ...policyInput,
    brand: { ...policyInput.brand, colours: { ...policyInput.brand.colours, primary: 'blue' } },
  });
  assert.ok(!badColour.ok && badColour.problems.some((p) => p.path === 'brand.colours.primary'));
  const untranslated = checkPolicy({
    ...policyInput,
    purposes: policyInput.purposes.map((p, i) => (i === 1 ? { ...p, texts: {} } : p)),
  });
  assert.ok(!untranslated.ok);
  assert.deepEqual(
    untranslated.problems.map((p) => [p.code, p.path]),
    [['purpose_text_missing', 'purposes[1].texts.zh-CN']],
  );
});
