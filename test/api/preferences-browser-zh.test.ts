import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { missingTexts, useApi } from '../helpers/api.js';
import { useBrowserApi } from '../helpers/browser.js';
import { useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();
const api = useApi(engine);
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
/** Where screenshots go: kept after the run (the run's own data dir is removed), out of git like all of .data/. */
const outDir = join(import.meta.dirname, '..', '..', '.data', 'screenshots');
const web = useBrowserApi(api);

before(() => mkdirSync(outDir, { recursive: true }));

async function openPage(url: string, acceptLanguage?: string): Promise<Page> {
  const page = await web.newPage(acceptLanguage);
  await page.goto(url);
  return page;
}

/** axe-core's violations on the page (WCAG 2.x A and AA rules), as `rule: targets`. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  // Browser-side code as a string: the test tsconfig has no DOM library.
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })`,
  )) as { violations: { id: string; nodes: { target: string[] }[] }[] };
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

const cnSubject = (purposes: string[]) =>
  engine.seed(
    uniqueId('cn'),
    { email: `${uniqueId('z')}@example.org` },
    purposes.map((purpose) => ({ purpose, language: 'zh-CN', jurisdiction: 'CN' })),
  );

test('a CN subject sees the preference centre in Chinese with no missing text, no internal ids, and no accessibility violations', async (t) => {
  const ref = await cnSubject(['marketing.email.newsletter']);
  missingTexts.length = 0;
  const page = await openPage(
    `${web.base}/preferences/${await engine.services.tokens.sign({ scope: 'preferences', sub: ref })}`,
  );
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), '您的营销偏好设置');
  assert.equal(
    await page.getByRole('group', { name: '新闻通讯', exact: true }).getByLabel('通过电子邮件').isChecked(),
    true,
  );
  assert.equal(
    await page.getByRole('group', { name: '所有营销短信', exact: true }).getByLabel('通过短信').isChecked(),
    false,
  );
  const visible = (await page.evaluate('document.body.innerText')) as string;
  for (const p of engine.services.policy.bundle.purposes)
    assert.ok(!visible.includes(p.id), `internal id ${p.id} is not shown`);
  // Each purpose names the fields it may use by their Chinese labels from the policy, never by field name.
  assert.equal(
    await page
      .getByRole('group', { name: '新闻通讯', exact: true })
      .getByText(/^使用的信息：/)
      .textContent(),
    '使用的信息：名字、语言、时区',
  );
  for (const f of engine.services.policy.bundle.subjectFields)
    assert.ok(!new RegExp(`\\b${f.name}\\b`).test(visible), `field name ${f.name} is not shown`);
  const zhAddress = engine.services.policy.bundle.brand!.postalAddresses['zh-CN']!;
  assert.ok(visible.includes(zhAddress), "the footer shows the brand's postal address as written in Chinese");
  assert.ok(!visible.includes('Torstraße 1, 10119 Berlin, Germany'), 'not the English one');
  assert.deepEqual(missingTexts, [], 'every text exists in zh-CN, every field label included');
  assert.deepEqual(await axeViolations(page), []);
  const shot = join(outDir, 'preferences-zh-CN.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshot: ${shot}`);
  await page.close();
});

test('why this message names the released fields by their Chinese labels, and a field with no zh-CN label is reported missing', async () => {
  const ref = await cnSubject(['marketing.email.newsletter']);
  const [d] = await engine.services.log.appendBatch([
    {
      subjectRef: ref,
      kind: 'decision',
      outcome: 'allow',
      purpose: 'marketing.email.newsletter',
      channel: 'email',
      processor: 'smtp-relay',
      fieldsReleased: ['first_name', 'email'],
    },
  ]);
  const token = await engine.services.tokens.sign({
    scope: 'why',
    sub: ref,
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    decision: d!.id,
  });
  missingTexts.length = 0;
  const page = await openPage(`${web.base}/why/${token}`);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal(await page.locator('dd').last().textContent(), '名字、电子邮件地址');
  assert.deepEqual(missingTexts, []);
  assert.deepEqual(await axeViolations(page), []);
  await page.close();
  // The same page for a field the policy gives no label: the gap is reported (so the test above would fail) and
  // the subject reads a generic phrase, not the internal name.
  const field = engine.services.policy.fields.get('first_name')!;
  const labels = field.labels;
  try {
    (field as { labels: Record<string, string> }).labels = { en: 'First name' };
    const again = await openPage(`${web.base}/why/${token}`);
    assert.equal(await again.locator('dd').last().textContent(), 'First name、电子邮件地址');
    assert.deepEqual(missingTexts, ['zh-CN:field:first_name']);
    (field as { labels: Record<string, string> }).labels = {};
    await again.reload();
    assert.equal(await again.locator('dd').last().textContent(), '您个人资料中的一项信息、电子邮件地址');
    await again.close();
  } finally {
    (field as { labels: Record<string, string> }).labels = labels;
  }
});

test('keyboard: Tab reaches the language switch, every checkbox, the save button and the notice link, in order, each named', async () => {
  const ref = await cnSubject(['marketing.email.newsletter']);
  const page = await openPage(
    `${web.base}/preferences/${await engine.services.tokens.sign({ scope: 'preferences', sub: ref })}`,
  );
  const nameOf = (sel: string) =>
    `(${sel}) ? ((${sel}).getAttribute('aria-label') || (${sel}).labels?.[0]?.textContent || (${sel}).textContent || '').trim() : ''`;
  const focusable = (await page.evaluate(
    `[...document.querySelectorAll('a[href], input:not([type=hidden]), button')].map((e) => ${nameOf('e')})`,
  )) as string[];
  const reached: string[] = [];
  for (let i = 0; i < focusable.length; i++) {
    await page.keyboard.press('Tab');
    reached.push((await page.evaluate(nameOf('document.activeElement'))) as string);
  }
  assert.deepEqual(reached, focusable);
  assert.ok(
    focusable.every((n) => n.length > 0),
    'every control has a name',
  );
  assert.ok(
    focusable.includes('English') &&
      focusable.includes('保存设置') &&
      focusable.some((n) => n.startsWith('阅读第 3 版隐私政策')),
  );
  await page.close();
});

test('the switch shows English; the notice link serves the Chinese text; a choice saved in Chinese names the zh-CN notice', async () => {
  const ref = await cnSubject(['marketing.email.newsletter']);
  const page = await openPage(
    `${web.base}/preferences/${await engine.services.tokens.sign({ scope: 'preferences', sub: ref })}`,
  );
  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForURL(/\?lang=en$/);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Your marketing preferences');
  await page.getByRole('link', { name: '中文' }).click();
  await page.waitForURL(/\?lang=zh-CN$/);
  await page.getByRole('link', { name: '阅读第 3 版隐私政策' }).click();
  await page.waitForURL(/\/notices\/3\?lang=zh-CN$/);
  assert.match((await page.evaluate('document.body.innerText')) as string, /营销隐私政策（第 3 版/);
  await page.goBack();
  await page.getByRole('group', { name: '所有营销短信', exact: true }).getByLabel('通过短信').check();
  await page.getByRole('button', { name: '保存设置' }).click();
  await page.waitForURL(/saved=1$/);
  assert.match((await page.getByRole('status').textContent()) ?? '', /您的选择已保存/);
  const sms = (await engine.services.consent.projection(ref))['marketing.sms|sms'];
  const zh3 = engine.services.policy.bundle.notices.find((n) => n.version === 3 && n.language === 'zh-CN')!;
  assert.deepEqual(
    [sms?.type, sms?.language, sms?.noticeVersion, sms?.noticeHash, sms?.jurisdiction],
    ['granted', 'zh-CN', 3, zh3.contentHash, 'CN'],
  );
  await page.close();
});

test("a forged link shows a friendly page in the browser's language, not JSON", async () => {
  const page = await openPage(
    `${web.base}/preferences/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAA.AAAA.AAAA.AAAA`,
    'zh-CN',
  );
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.match((await page.getByRole('heading', { level: 1 }).textContent()) ?? '', /^(此链接无效|无法理解此请求)$/);
  assert.deepEqual(await axeViolations(page), []);
  await page.close();
});
