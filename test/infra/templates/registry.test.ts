import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  loadTemplates,
  referencedFields,
  TemplateLoadError,
  TemplateRenderError,
  type RenderInput,
} from '../../../infra/templates/registry.js';
import { loadShippedTemplates, shippedTemplatesDir } from '../../../infra/templates/shipped.js';
import { templatePort } from '../../../infra/templates/port.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const reserved = {
  links: {
    unsubscribe: 'https://cf.test/u/tok?a=1&b=2',
    why: 'https://cf.test/why/tok',
    preferences: 'https://cf.test/preferences/tok',
  },
  sender: { name: 'Lumen & Loom', postalAddress: 'Torstraße 1, 10119 Berlin', email: 'hello@lumen.test' },
};
const input = (fields: RenderInput['fields']): RenderInput => ({ fields, ...reserved });

/** A throwaway template directory holding the given files. */
function dirWith(files: Record<string, string>): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cf-templates-'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}
const file = (front: string, body: string): string => `---\n${front}\n---\n${body}\n`;
const basic = 'id: t\nchannel: email\nkind: marketing\nsubject: "Hi {{first_name}}"\nfields: [first_name]';

test('loads every shipped template with its declared fields, analysis and content hash', () => {
  const r = loadShippedTemplates();
  assert.deepEqual(r.ids().sort(), [
    'promo-generic',
    'promo-winter-sale',
    'reengage-generic',
    'reengage-nudge',
    'reengage-offer',
    'sms-cn-promo',
    'welcome-1',
    'welcome-2',
    'welcome-3',
  ]);
  const f = r.facts().get('promo-winter-sale');
  assert.ok(f);
  assert.deepEqual(f.referencedFields, ['first_name', 'loyalty_tier', 'preferred_store']);
  assert.equal(f.fallback, 'promo-generic');
  assert.deepEqual(Object.keys(f.reservedByPart).sort(), ['html', 'text']);
  assert.equal(
    f.contentHash,
    createHash('sha256')
      .update(readFileSync(join(shippedTemplatesDir, 'promo-winter-sale.hbs')))
      .digest('hex'),
  );
  for (const fb of ['promo-generic', 'reengage-generic'])
    assert.deepEqual(r.facts().get(fb)?.referencedFields, [], `${fb} is not personalised`);
});

test('renders subject, text and escaped html with only the declared fields', () => {
  const r = loadShippedTemplates();
  const out = r.render('welcome-1', input({ first_name: 'Mei <b>', email: 'mei@example.com', health_interest: 'x' }));
  assert.equal(out.subject, 'Welcome to Lumen & Loom, Mei <b>');
  assert.match(out.text, /^Hi Mei <b>,/);
  assert.match(out.text, /Unsubscribe with one click: https:\/\/cf.test\/u\/tok\?a=1&b=2/);
  assert.match(out.html ?? '', /Hi Mei &lt;b&gt;/);
  assert.match(out.html ?? '', /Torstraße 1, 10119 Berlin/);
  assert.doesNotMatch(`${out.text}${out.html ?? ''}`, /mei@example.com/);
});

test('strict rendering refuses a field that was not supplied, naming it', () => {
  const r = loadShippedTemplates();
  assert.throws(
    () => r.render('promo-winter-sale', input({ first_name: 'Mei', loyalty_tier: 'gold' })),
    (e: unknown) => {
      assert.ok(e instanceof TemplateRenderError);
      assert.deepEqual(e.missingFields, ['preferred_store']);
      assert.match(e.message, /template "promo-winter-sale" needs field\(s\) preferred_store that were not supplied/);
      return true;
    },
  );
  assert.throws(() => r.render('welcome-1', input({ first_name: undefined })), TemplateRenderError);
  assert.throws(() => r.render('nope', input({})), /template "nope" is not loaded/);
  assert.throws(
    () => r.render('welcome-1', { fields: { first_name: 'A' }, links: { why: 'x' }, sender: reserved.sender }),
    /bad reserved input: links.unsubscribe/,
  );
});

test('a field used only in a condition still has to be supplied (strict mode alone would not catch it)', () => {
  using d = dirWith({
    't.hbs': file(basic.replace('[first_name]', '[first_name, city]'), '{{#if city}}near you{{/if}} {{first_name}}'),
  });
  assert.throws(() => loadTemplates(d.dir).render('t', input({ first_name: 'A' })), /needs field\(s\) city/);
  assert.equal(loadTemplates(d.dir).render('t', input({ first_name: 'A', city: 'Köln' })).text, 'near you A\n');
});

test('an undeclared field is never put in the render context, so strict rendering throws', () => {
  using d = dirWith({ 't.hbs': file(basic, '{{first_name}} {{city}}') });
  assert.throws(() => loadTemplates(d.dir).render('t', input({ first_name: 'A', city: 'Köln' })), /"city" not defined/);
});

test('templates compile once at load and are reused for every render', () => {
  const r = loadShippedTemplates();
  const after = r.compileCount();
  assert.equal(
    after,
    (8 + 3) * 3 + 1,
    'subject, text and html for each of the eight email templates and the three zh-CN variants, text for the sms one',
  );
  for (let i = 0; i < 50; i++)
    r.render('welcome-2', { ...input({ first_name: `n${i}` }), language: i % 2 ? 'zh-CN' : 'en' });
  assert.equal(r.compileCount(), after);
});

test('referencedFields walks nested paths, blocks, each, with, block params and subexpressions', () => {
  const src = [
    '{{first_name}} {{profile.city}} {{links.unsubscribe}} {{sender.name}}',
    '{{#if loyalty_tier}}{{preferred_store}}{{else}}{{locale}}{{/if}}',
    '{{#each orders}}{{sku}} {{this}} {{../last_name}} {{@index}}{{/each}}',
    '{{#each items as |item idx|}}{{item.title}} {{idx}}{{/each}}',
    '{{#with address}}{{street}}{{/with}} {{lookup prefs "x"}} {{@root.timezone}}',
    '{{#unless (lookup flags country)}}x{{/unless}}',
  ].join('\n');
  assert.deepEqual(referencedFields(src), [
    'address',
    'address.street',
    'country',
    'first_name',
    'flags',
    'items',
    'items.title',
    'last_name',
    'locale',
    'loyalty_tier',
    'orders',
    'orders.sku',
    'preferred_store',
    'prefs',
    'profile.city',
    'timezone',
  ]);
});

test('load errors name the file and say how to fix it', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ 't.hbs': 'no front matter' }, /t.hbs: missing front matter/],
    [{ 't.hbs': file('id: t\nchannel: email\n  kind: : x', 'x') }, /t.hbs: front matter is not valid YAML/],
    [{ 't.hbs': file('id: t\nchannel: fax\nkind: marketing', 'x') }, /t.hbs: channel: /],
    [{ 't.hbs': file('id: t\nchannel: email\nkind: marketing', 'x') }, /subject: an email template needs a subject/],
    [{ 'u.hbs': file(basic, 'x') }, /id "t" does not match the file name; rename the file to t.hbs/],
    [{ 't.hbs': file(basic, '{{> footer}}') }, /partials and decorators are not supported/],
    [{ 't.hbs': file(basic, '{{#if x}}unclosed') }, /t.hbs \(text\): Handlebars syntax/],
    [{ 't.hbs': file(basic, '{{links.home}}') }, /unknown reserved variable\(s\) links.home/],
    [{ 't.hbs': file(basic, '{{shout first_name}}') }, /unknown helper shout/],
    [{ 't.hbs': file(basic.replace('[first_name]', '[links]'), 'x') }, /"links" is reserved/],
    [{ 't.hbs': file(basic, '   \n=== html ===\n<p>x</p>') }, /the text part is empty/],
  ];
  for (const [files, re] of cases) {
    using d = dirWith(files);
    assert.throws(
      () => {
        const r = loadTemplates(d.dir);
        r.render('t', input({ first_name: 'A' }));
      },
      (e: unknown) => (e instanceof TemplateLoadError || e instanceof TemplateRenderError) && re.test(e.message),
      String(re),
    );
  }
});

test('the send pipeline port exposes metadata and renders through the registry', () => {
  const port = templatePort(loadShippedTemplates());
  assert.deepEqual(port.info('reengage-nudge') && { ...port.info('reengage-nudge'), contentHash: 'h' }, {
    id: 'reengage-nudge',
    channel: 'email',
    fields: ['first_name'],
    fallback: 'reengage-generic',
    contentHash: 'h',
  });
  assert.equal(port.info('missing'), undefined);
  const out = port.render('reengage-generic', {
    fields: {},
    links: { ...reserved.links, extra: 'https://x.test' },
    sender: reserved.sender,
  });
  assert.equal(out.ok && out.subject, 'News from Lumen & Loom');
  // A declared field with no value is a value, not an exception: the send path logs it and sends nothing.
  assert.deepEqual(port.render('reengage-nudge', { fields: {}, links: reserved.links, sender: reserved.sender }), {
    ok: false,
    missingFields: ['first_name'],
  });
});
