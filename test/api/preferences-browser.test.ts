import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useEngine } from '../helpers/engine.js';
import { useApi } from '../helpers/api.js';
import { useBrowserApi } from '../helpers/browser.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();
const api = useApi(engine);
const web = useBrowserApi(api);

test('in a real browser: toggle, save, reload and see the state; withdrawal takes one click and a save', async () => {
  const ref = await engine.seed(uniqueId('s'), { email: `${uniqueId('p')}@example.org` }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const url = `${web.base}/preferences/${await engine.services.tokens.sign({ scope: 'preferences', sub: ref })}`;
  const page = await web.newPage();
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
  const page = await web.newPage();
  await page.goto(`${web.base}/preferences/${await engine.services.tokens.sign({ scope: 'preferences', sub: ref })}`);
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
