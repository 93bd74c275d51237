import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { failureLine } from '../../../domain/load-result.js';
import { loadWorkspace, openWorkspace } from '../../../infra/workspace/load.js';
import { workspaceDir, workspacePaths } from '../../../infra/workspace/paths.js';
import { exampleRoot, exampleWorkspace } from '../../helpers/example-workspace.js';
import { campaignSource, tempWorkspace } from '../../helpers/temp-workspace.js';

const send = (id: string, extra = '') =>
  `{ id: '${id}', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay'${extra} }`;

// Each malformed class from the field report, written as a real file; the line must name file, path and fix.
const cases: readonly { name: string; source: string; line: RegExp }[] = [
  {
    name: 'a wrong type',
    source: campaignSource({ extra: '\n  name2: 1,' }).replace("name: 'Cart'", 'name: 42'),
    line: /^campaigns\/cart\.ts: name: 42 is not a string; write a string here/,
  },
  {
    name: 'an unknown step type',
    source: campaignSource({ steps: "[{ id: 'jump', type: 'teleport' }]" }),
    line: /^campaigns\/cart\.ts: steps\[0\]\.type: step type must be one of send, wait, waitUntil, branch, exit$/,
  },
  {
    name: 'empty steps',
    source: campaignSource({ steps: '[]' }),
    line: /^campaigns\/cart\.ts: steps: a campaign needs at least one step$/,
  },
  {
    name: 'a negative wait',
    source: campaignSource({ steps: `[${send('a')}, { id: 'w', type: 'wait', duration: '-3d' }]` }),
    line: /^campaigns\/cart\.ts: steps\[1\]\.duration: "-3d" is not a duration; .*like 30s, 15m, 12h, 2d or 1w/,
  },
  {
    name: 'a 999-year wait',
    source: campaignSource({ steps: `[{ id: 'w', type: 'wait', duration: '999y' }, ${send('a')}]` }),
    line: /^campaigns\/cart\.ts: steps\[0\]\.duration: "999y" is not a duration/,
  },
  {
    name: 'a numeric wait',
    source: campaignSource({ steps: `[{ id: 'w', type: 'wait', duration: 3 }, ${send('a')}]` }),
    line: /^campaigns\/cart\.ts: steps\[0\]\.duration: 3 is not a duration; write a quoted string with one unit, like "3d"/,
  },
  {
    name: 'duplicate step ids',
    source: campaignSource({ steps: `[${send('a')}, ${send('a')}]` }),
    line: /^campaigns\/cart\.ts: steps\[1\]\.id: step id "a" is used twice; give each step its own id$/,
  },
  {
    name: 'a branch to a missing step',
    source: campaignSource({
      steps: `[{ id: 'b', type: 'branch', condition: { kind: 'event', event: 'opened', within: '3d' }, then: 'nowhere', otherwise: 'a' }, ${send('a')}]`,
    }),
    line: /^campaigns\/cart\.ts: steps\[0\]\.then: branch "b" then → "nowhere": no step has that id; point it at a later step id$/,
  },
  {
    name: 'a 25:00 window',
    source: campaignSource({
      steps: `[{ id: 'q', type: 'waitUntil', window: { start: '25:00', end: '08:00' } }, ${send('a')}]`,
    }),
    line: /^campaigns\/cart\.ts: steps\[0\]\.window\.start: time must be HH:MM on a 24-hour clock/,
  },
  {
    name: 'a holdout of 500',
    source: campaignSource({ options: '{ holdoutPercent: 500 }' }),
    line: /^campaigns\/cart\.ts: options\.holdoutPercent: holdoutPercent must be a percentage from 0 to 50/,
  },
  {
    name: 'a frequency cap of -1',
    source: campaignSource({ options: "{ frequencyCap: { channel: 'email', max: -1, per: '7d' } }" }),
    line: /^campaigns\/cart\.ts: options\.frequencyCap\.max: max must be at least 1/,
  },
  {
    name: 'an unknown key',
    source: campaignSource({ extra: "\n  colour: 'red'," }),
    line: /^campaigns\/cart\.ts: colour: unknown key "colour"; remove it or check its spelling$/,
  },
  {
    name: 'a TypeScript syntax error',
    source: campaignSource({}).replace("name: 'Cart',", "name: 'Cart'"),
    line: /^campaigns\/cart\.ts:\d+:\d+: syntax error: Expected "}" but found "description"; fix the code at that position$/,
  },
  {
    name: 'a plain object with a bad wait',
    source: campaignSource({ plain: true, steps: `[{ id: 'w', type: 'wait', duration: '-3d' }]` }),
    line: /^campaigns\/cart\.ts: steps\[0\]\.duration: "-3d" is not a duration/,
  },
];

for (const c of cases) {
  test(`${c.name} in one campaign file is one line naming file, path and fix; the other campaigns still load`, async () => {
    const ws = await openWorkspace(tempWorkspace({ 'cart.ts': c.source }));
    assert.deepEqual(Object.keys(ws.campaigns), ['welcome-series']);
    assert.equal(ws.campaignFailures.length, 1);
    const line = failureLine(ws.campaignFailures[0]!);
    assert.match(line, c.line);
    assert.doesNotMatch(line, /\n| {4}at /);
    assert.ok(ws.policy.ok);
  });
}

test('a failure names every further problem in the file by count, and remembers the id it declared', async () => {
  const ws = await openWorkspace(
    tempWorkspace({ 'cart.ts': campaignSource({ options: '{ holdoutPercent: 500 }', extra: "\n  colour: 'red'," }) }),
  );
  assert.equal(ws.campaignFailures[0]?.id, 'cart');
  assert.match(ws.campaignFailures[0]?.message ?? '', /\(and 1 more problem\(s\) in this file\)$/);
});

test('every file is discovered with no index to register in; two files with one id: the later in name order is refused', async () => {
  const second = campaignSource({}).replace("id: 'cart'", "id: 'welcome-series'");
  const ws = await openWorkspace(tempWorkspace({ 'cart.ts': campaignSource({}), 'copy.ts': second }));
  assert.deepEqual(Object.keys(ws.campaigns).sort(), ['cart', 'welcome-series']);
  assert.match(
    failureLine(ws.campaignFailures[0]!),
    /^campaigns\/welcome-series\.ts: id: "welcome-series" is already the id of campaigns\/copy\.ts; give each campaign its own id$/,
  );
});

test('a file exporting two values, or one throwing while it loads, is one line too', async () => {
  const two = `export const a = 1;\nexport const b = 2;\n`;
  const throws = `throw new Error('boom\\nsecond line');\nexport default {};\n`;
  const ws = await openWorkspace(tempWorkspace({ 'two.ts': two, 'throws.ts': throws }));
  const lines = ws.campaignFailures.map(failureLine).sort();
  assert.match(lines[0]!, /^campaigns\/throws\.ts: failed to load: boom$/);
  assert.match(
    lines[1]!,
    /^campaigns\/two\.ts: exports 2 values \(a, b\); a campaign file exports exactly one campaign/,
  );
});

test('the example workspace loads every campaign, segment and template with no failures', async () => {
  const ws = await exampleWorkspace();
  assert.deepEqual(Object.keys(ws.campaigns).sort(), [
    'cn-sms-promo',
    'reengagement',
    'welcome-series',
    'winter-promo',
  ]);
  assert.equal(Object.keys(ws.segments).length, 6);
  assert.ok(ws.templates.ids().includes('welcome-1'));
  assert.deepEqual([ws.campaignFailures, ws.otherFailures, ws.policy.ok], [[], [], true]);
});

test('an edited campaign file loads afresh in the same process', async () => {
  const root = tempWorkspace({ 'cart.ts': campaignSource({ options: '{ holdoutPercent: 500 }' }) });
  const paths = await workspacePaths(root);
  assert.ok(paths.ok);
  assert.equal((await loadWorkspace(paths.value)).campaignFailures.length, 1);
  await new Promise((r) => setTimeout(r, 20));
  writeFileSync(join(root, 'campaigns', 'cart.ts'), campaignSource({ options: '{ holdoutPercent: 5 }' }));
  const again = await loadWorkspace(paths.value);
  assert.equal(again.campaigns.cart?.options.holdoutPercent, 5);
});

test('the workspace is --workspace, else CONSENTFLOW_WORKSPACE, else the current directory', async () => {
  assert.equal(workspaceDir('ws', { CONSENTFLOW_WORKSPACE: '/env' }, '/cwd'), '/cwd/ws');
  assert.equal(workspaceDir(undefined, { CONSENTFLOW_WORKSPACE: '/env' }, '/cwd'), '/env');
  assert.equal(workspaceDir(undefined, {}, '/cwd'), '/cwd');
  const missing = await workspacePaths(join(exampleRoot, 'no-such-folder'));
  assert.ok(!missing.ok);
  assert.match(failureLine(missing), /no-such-folder: does not exist; pass an existing folder with --workspace/);
  const notWs = await workspacePaths(join(exampleRoot, 'bench'));
  assert.ok(!notWs.ok);
  assert.match(notWs.message, /is not a consentflow workspace/);
});

test('a bad workspace config file is one line naming the key', async () => {
  const root = tempWorkspace({});
  writeFileSync(join(root, 'consentflow.config.ts'), `export default { campains: 'x' };\n`);
  const r = await workspacePaths(root);
  assert.ok(!r.ok);
  assert.equal(
    failureLine(r),
    'consentflow.config.ts: campains: unknown key "campains"; remove it or check its spelling',
  );
});
