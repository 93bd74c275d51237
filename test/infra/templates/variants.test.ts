import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { lintCampaign } from '../../../domain/campaign-lint.js';
import { parseCampaign } from '../../../domain/campaign.js';
import { compilePolicy } from '../../../domain/policy.js';
import { loadTemplates } from '../../../infra/templates/registry.js';
import { policy } from '../../../policy/index.js';
import { exampleWorkspace } from '../../helpers/example-workspace.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const footer = '{{links.why}} {{links.unsubscribe}} {{sender.name}} {{sender.postalAddress}}';
const file = (front: string, body: string) => `---\n${front}\n---\n${body}\n`;
const base = file(
  'id: hello\nchannel: email\nkind: marketing\nsubject: "Hi {{first_name}}"\nfields: [first_name]',
  `Hello {{first_name}}\n${footer}`,
);

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-variants-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const links = {
  unsubscribe: 'https://x.example/u/t',
  why: 'https://x.example/why/t',
  preferences: 'https://x.example/p/t',
};
const sender = { name: 'Lumen & Loom', postalAddress: 'Torstraße 1', email: 'a@x.example' };

test("the subject's language picks the variant (exact, then same language), else the template itself", () => {
  const zh = file(
    'id: hello\nlang: zh-CN\nchannel: email\nkind: marketing\nsubject: "{{first_name}}，您好"\nfields: [first_name]',
    `{{first_name}}，您好\n${footer}`,
  );
  const reg = loadTemplates(dirWith({ 'hello.hbs': base, 'hello.zh-CN.hbs': zh }));
  const render = (language?: string) =>
    reg.render('hello', { fields: { first_name: '梅' }, links, sender, ...(language ? { language } : {}) });
  assert.deepEqual([render('zh-CN').language, render('zh-CN').subject], ['zh-CN', '梅，您好']);
  assert.equal(render('zh-TW').language, 'zh-CN');
  assert.equal(render('de').language, 'en');
  assert.equal(render().language, 'en');
  assert.deepEqual(reg.ids(), ['hello'], 'a variant is not a template of its own');
  const alone = loadTemplates(dirWith({ 'hello.hbs': base }));
  assert.notEqual(
    reg.meta('hello')!.contentHash,
    alone.meta('hello')!.contentHash,
    'the content version covers every language',
  );
});

test('a variant must match its template: same fields, kind and channel; a lang tag agreeing with its file name; an existing template', () => {
  const failures: string[] = [];
  const bad = (front: string) => file(`id: hello\n${front}`, `x {{first_name}} {{last_name}}\n${footer}`);
  loadTemplates(
    dirWith({
      'hello.hbs': base,
      'hello.zh-CN.hbs': bad(
        'lang: zh-CN\nchannel: email\nkind: marketing\nsubject: s\nfields: [first_name, last_name]',
      ),
      'hello.de.hbs': bad('lang: fr\nchannel: email\nkind: marketing\nsubject: s\nfields: [first_name]'),
      'hello.fr.hbs': bad('lang: fr\nchannel: email\nkind: essential\nsubject: s\nfields: [first_name]'),
      'ghost.ja.hbs': file('id: ghost\nlang: ja\nchannel: email\nkind: marketing\nsubject: s', `x\n${footer}`),
    }),
    (f, message) => failures.push(`${f.split('/').pop()}: ${message}`),
  );
  assert.equal(failures.length, 4, failures.join('\n'));
  assert.match(
    failures.find((f) => f.startsWith('hello.zh-CN.hbs'))!,
    /fields \[first_name, last_name\] differ from hello\.hbs \[first_name\]/,
  );
  assert.match(
    failures.find((f) => f.startsWith('hello.de.hbs'))!,
    /the file name says de, so write lang: de/,
  );
  assert.match(
    failures.find((f) => f.startsWith('hello.fr.hbs'))!,
    /kind is essential but hello\.hbs says marketing/,
  );
  assert.match(
    failures.find((f) => f.startsWith('ghost.ja.hbs'))!,
    /ghost\.hbs does not exist/,
  );
});

test('lint checks every variant on its own: a Chinese variant without the postal address fails the campaign', async () => {
  const zh = file(
    'id: hello\nlang: zh-CN\nchannel: email\nkind: marketing\nsubject: "您好"\nfields: [first_name]',
    '{{first_name}}，您好 {{links.why}} {{links.unsubscribe}} {{sender.name}}',
  );
  const reg = loadTemplates(dirWith({ 'hello.hbs': base, 'hello.zh-CN.hbs': zh }));
  const parsed = parseCampaign({
    id: 'c',
    name: 'C',
    description: 'd',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'newsletter-subscribers' },
    steps: [{ id: 's', type: 'send', channel: 'email', template: 'hello', processor: 'smtp-relay' }],
  });
  assert.ok(parsed.ok);
  const { segments } = await exampleWorkspace();
  const problems = lintCampaign(parsed.value, {
    templates: reg.facts(),
    segments,
    policy: compilePolicy(policy, 'test'),
    nowMs: Date.now(),
  });
  assert.deepEqual(
    problems.map((p) => p.code),
    ['sender_identity_missing'],
  );
  assert.match(
    problems[0]!.message,
    /template "hello" \(zh-CN variant\) text part does not always print \{\{sender\.postalAddress\}\}/,
  );
});
