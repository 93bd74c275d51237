import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import { useEngine } from '../helpers/engine.js';
import { useApi } from '../helpers/api.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();
const api = useApi(engine);
let browser: Browser;
let base: string;

before(async () => {
  await api.ready;
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
after(() => browser?.close());

/** A new page that refuses the brand logo's request at once (no network here), so "load" does not wait on DNS. */
async function newPage() {
  const page = await browser.newPage();
  await page.route('https://lumen-loom.example/**', (r) => r.abort());
  return page;
}

test('in a real browser: toggle, save, reload and see the state; withdrawal takes one click and a save', async () => {
  const ref = await engine.seed(uniqueId('s'), { email: `${uniqueId('p')}@example.org` }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const url = `${base}/preferences/${await engine.services.tokens.sign({ scope: 'preferences', sub: ref })}`;
  const page = await newPage();
  await page.goto(url);
  const newsletter = page.getByRole('group', { name: 'Newsletter', exact: true }).getByLabel('By email');
  const sms = page
    .getByRole('group', { name: 'All marketing text messages', exact: true })
    .getByLabel('By text message (SMS)');
  assert.equal(await newsletter.isChecked(), true);
  assert.equal(await sms.isChecked(), false);
  await newsletter.uncheck();
  await sms.check();
  await page.getByLabel('No personalised marketing', { exact: false }).check();
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await page.waitForURL(/[?&]saved=1$/);
  assert.match((await page.getByRole('status').textContent()) ?? '', /Your choices are saved/);
  await page.reload();
  assert.equal(await newsletter.isChecked(), false);
  assert.equal(await sms.isChecked(), true);
  assert.equal(await page.getByLabel('No personalised marketing', { exact: false }).isChecked(), true);
  const live = await engine.services.consent.projection(ref);
  assert.equal(live['marketing.email.newsletter|email']?.type, 'withdrawn');
  assert.equal(live['marketing.sms|sms']?.method, 'preference_center');
  await page.close();
});

test('keyboard: Tab reaches the language switch, the notice link, every checkbox and then the save button, in order, each with a visible focus style', async () => {
  const ref = await engine.seed(uniqueId('s'), { email: `${uniqueId('k')}@example.org` });
  const page = await newPage();
  await page.goto(`${base}/preferences/${await engine.services.tokens.sign({ scope: 'preferences', sub: ref })}`);
  // Browser-side code as strings: the test tsconfig has no DOM library.
  const nameOf = (sel: string) => `(${sel}) ? ((${sel}).name || (${sel}).textContent || '') : ''`;
  const controls = (await page.evaluate(
    `[...document.querySelectorAll('a[href], input:not([type=hidden]), button')].map((e) => ${nameOf('e')})`,
  )) as string[];
  const reached: string[] = [];
  for (let i = 0; i < controls.length; i++) {
    await page.keyboard.press('Tab');
    reached.push((await page.evaluate(nameOf('document.activeElement'))) as string);
  }
  assert.deepEqual(reached, controls);
  assert.ok(
    controls.includes('unsubscribe_all') &&
      controls.includes('no_personalisation') &&
      controls.at(-1) === 'Save preferences',
  );
  const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
  assert.notEqual(outline, 'none', 'focus is visible');
  // Every checkbox has a label naming it.
  const unlabelled = await page.evaluate(
    `[...document.querySelectorAll('input[type=checkbox]')].filter((e) => !e.labels || !e.labels.length).length`,
  );
  assert.equal(unlabelled, 0);
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForURL(/[?&]saved=1$/);
  assert.equal(
    (await engine.services.consent.loadGuardState(ref)).personalisation,
    'off',
    'the last checkbox was toggled and saved by keyboard alone',
  );
  await page.close();
});
