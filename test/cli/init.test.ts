import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCliInProcess } from '../helpers/cli-in-process.js';

test('init scaffolds a workspace that loads, passes policy check and lints clean, and never overwrites', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'cf-init-')), 'shop');
  const r = await runCliInProcess(['init', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as { files: string[] }).files.sort(), [
    'README.md',
    'campaigns/templates/gold-thanks.hbs',
    'campaigns/templates/hello.hbs',
    'campaigns/welcome.ts',
    'people.csv',
    'policy/index.ts',
    'policy/notices/v1.en.txt',
    'segments/subscribers.ts',
  ]);
  const lint = await runCliInProcess(['campaign', 'lint', '--workspace', dir]);
  assert.equal(lint.code, 0, lint.stdout + lint.stderr);
  assert.match(lint.stdout, /✓ welcome: lint clean/);
  const policy = await runCliInProcess(['policy', 'check'], { CONSENTFLOW_WORKSPACE: dir });
  assert.match(policy.stdout, /^policy ok: 1 purposes, 1 notices, 1 processors, 4 subject fields/);
  const again = await runCliInProcess(['init', dir]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already has policy\/index\.ts, .*; choose an empty folder/);
  assert.equal(readdirSync(dir).length, 5);
});
