import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Handlebars from 'handlebars';
import { compilePart } from '../../../infra/templates/compile.js';
import { loadTemplates, TemplateLoadError } from '../../../infra/templates/registry.js';

const HTML = '<img src=x onerror=alert(1)>';
const PWN = "globalThis.__cf_pwned = 1; return 'PWNED'";
// Every construct the security pass listed, plus the other spellings that reach the same prototype.
const prototypeAttacks = [
  '{{lookup this "constructor"}}',
  `{{#with "s" as |s|}}{{s.constructor.constructor "${PWN}"}}{{/with}}`,
  `{{#with "s" as |s|}}{{#with (lookup s "constructor") as |c|}}{{c.constructor "${PWN}"}}{{/with}}{{/with}}`,
  '{{first_name.constructor.name}}',
  '{{this.[constructor]}}',
  '{{[__proto__].constructor.name}}',
  '{{@root.__proto__}}',
  '{{#with first_name}}{{../constructor}}{{/with}}',
  '{{lookup first_name "__proto__"}}',
  '{{lookup (lookup first_name "constructor") "prototype"}}',
  '{{#each first_name}}{{lookup this "__defineGetter__"}}{{/each}}',
  '{{first_name.__lookupGetter__}}',
];
const unescaped = [
  '{{{first_name}}}',
  '{{& first_name}}',
  '{{#if first_name}}{{{first_name}}}{{/if}}',
  '{{{lookup this "first_name"}}}',
];

function dirWith(body: string): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cf-tsafe-'));
  writeFileSync(
    join(dir, 't.hbs'),
    `---\nid: t\nchannel: email\nkind: essential\nsubject: "Hi"\nfields: [first_name]\n---\nx\n=== html ===\n${body}\n`,
  );
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

test('lint refuses every prototype lookup, constructor and __proto__ path, naming the construct', () => {
  for (const attack of prototypeAttacks) {
    using d = dirWith(attack);
    assert.throws(
      () => loadTemplates(d.dir),
      (e: unknown) => e instanceof TemplateLoadError && /reaches a built-in prototype/.test(e.message),
      attack,
    );
  }
});

test('lint refuses unescaped output of profile fields but allows it for the reserved links', () => {
  for (const attack of unescaped) {
    using d = dirWith(attack);
    assert.throws(() => loadTemplates(d.dir), /unescaped output of "(first_name|lookup)".*use \{\{/, attack);
  }
  using ok = dirWith('{{{links.unsubscribe}}} {{first_name}}');
  assert.doesNotThrow(() => loadTemplates(ok.dir));
});

test('a dynamic lookup key that names a prototype property renders nothing', () => {
  using d = dirWith('[{{lookup this first_name}}]');
  const links = {
    unsubscribe: 'https://cf.test/u/t',
    why: 'https://cf.test/why/t',
    preferences: 'https://cf.test/preferences/t',
  };
  const sender = { name: 'S', postalAddress: 'A', email: 's@x.test' };
  for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const html = loadTemplates(d.dir).render('t', { fields: { first_name: key }, links, sender }).html ?? '';
    assert.equal(html.trim(), '[]', key);
  }
});

test('rendered past lint, no construct executes code, leaks a prototype or injects HTML', () => {
  const hb = Handlebars.create();
  for (const src of [...prototypeAttacks, ...unescaped]) {
    delete (globalThis as Record<string, unknown>).__cf_pwned;
    let out = '';
    try {
      out = compilePart(hb, src, true)({ first_name: HTML });
    } catch (e) {
      // knownHelpersOnly refuses a path called with arguments; strict mode throws walking into a missing or primitive value.
      assert.match(
        (e as Error).message,
        /unknown helper|not defined|Cannot read properties of undefined|Cannot use 'in' operator/,
        src,
      );
    }
    assert.equal((globalThis as Record<string, unknown>).__cf_pwned, undefined, src);
    assert.doesNotMatch(out, /PWNED|function|native code|\[object|<img/, src);
  }
  // The same field printed normally is escaped, so the assertion above is not vacuous.
  assert.equal(
    compilePart(hb, '{{first_name}}', true)({ first_name: HTML }),
    '&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;',
  );
  assert.equal(
    compilePart(hb, '{{{first_name}}}', true)({ first_name: HTML }),
    '&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;',
  );
});
