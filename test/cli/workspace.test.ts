import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { campaignSource, tempWorkspace } from '../helpers/temp-workspace.js';

// The CLI against a workspace holding one bad campaign next to a good one.
const badWait = campaignSource({
  steps:
    "[{ id: 'send-it', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' }, { id: 'w', type: 'wait', duration: '-3d' }]",
});
const ws = tempWorkspace({
  'cart.ts': badWait,
  'broken.ts': campaignSource({}).replace("id: 'cart'", "id: 'broken'").replace("name: 'Cart',", "name: 'Cart'"),
});
const cartLine =
  'campaigns/cart.ts: steps[1].duration: "-3d" is not a duration; write a positive whole number and one unit, like 30s, 15m, 12h, 2d or 1w (at most 366d)';
const noStack = (s: string) => assert.doesNotMatch(s, /^\s+at |Error:|TransformError/m);

test('campaign lint names each bad file in one line, lints the rest and exits 1, with no stack trace', async () => {
  // The real entry point once (the spawned smoke run of the workspace commands); the rest run in process.
  const r = await runCli(['campaign', 'lint', '--workspace', ws]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.includes(`✗ ${cartLine}`), r.stdout);
  assert.ok(
    lines.some((l) => /^✗ campaigns\/broken\.ts:\d+:\d+: syntax error: Expected "}" but found "description"/.test(l)),
    r.stdout,
  );
  assert.ok(lines.includes('✓ welcome-series: lint clean'), r.stdout);
  assert.equal(lines.length, 4, r.stdout);
  noStack(r.stdout + r.stderr);
});

test('CONSENTFLOW_WORKSPACE chooses the workspace when --workspace is absent; --json carries the same line', async () => {
  const r = await runCliInProcess(['campaign', 'lint', '--json'], { CONSENTFLOW_WORKSPACE: ws });
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout) as { ok: boolean; failures: { file: string; path: string; line: string }[] };
  assert.equal(out.ok, false);
  assert.deepEqual(
    out.failures.find((f) => f.file === 'campaigns/cart.ts'),
    {
      file: 'campaigns/cart.ts',
      path: 'steps[1].duration',
      message: cartLine.slice('campaigns/cart.ts: steps[1].duration: '.length),
      line: cartLine,
    },
  );
});

test('campaign start of a bad campaign prints its one line and exits 1 before touching any service', async () => {
  const r = await runCliInProcess(['campaign', 'start', 'cart', '--workspace', ws], {
    REDIS_URL: 'redis://127.0.0.1:1',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
  });
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), cartLine);
  noStack(r.stderr);
});

test('a good campaign in the same workspace still lints clean, and other commands keep working', async () => {
  assert.equal((await runCliInProcess(['campaign', 'lint', 'welcome-series', '--workspace', ws])).code, 0);
  const policy = await runCliInProcess(['policy', 'check', '--workspace', ws]);
  assert.equal(policy.code, 0, policy.stderr);
  assert.match(policy.stdout, /^policy ok:/);
  for (const args of [['--help'], ['campaign', '--help'], ['subject', 'import', '--help']]) {
    const h = await runCliInProcess(args, { CONSENTFLOW_WORKSPACE: ws });
    assert.equal(h.code, 0, `${args.join(' ')}: ${h.stderr}`);
    assert.match(h.stdout, /Usage: consentflow/);
  }
});

test('a folder that is not a workspace is one usage line naming it', async () => {
  const r = await runCliInProcess(['campaign', 'lint', '--workspace', '/nonexistent-cf']);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr.trim(),
    'error: workspace /nonexistent-cf: does not exist; pass an existing folder with --workspace or CONSENTFLOW_WORKSPACE, or run `consentflow init` there',
  );
});
