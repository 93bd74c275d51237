import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exampleRoot } from './helpers/example-workspace.js';

// The package as another service gets it: built, packed, installed from the tarball, used under plain node.
const run = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 240_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

test('the packed package installs into another project and works there under plain node', { timeout: 480_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cf-pkg-'));
  run('npm', ['run', 'build'], exampleRoot);
  run('npm', ['pack', '--pack-destination', tmp], exampleRoot);
  const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'))!;
  const listing = run('tar', ['tzf', join(tmp, tarball)], tmp).split('\n').filter(Boolean);
  assert.deepEqual([...new Set(listing.map((f) => f.split('/')[1]))].sort(), ['README.md', 'bin', 'dist', 'package.json'], 'no tests, benches, scripts or CI files');
  assert.ok(!listing.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'only JS and declarations');

  const project = join(tmp, 'service');
  run('mkdir', ['-p', project], tmp);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'service', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(tmp, tarball)], project);

  // Plain node, no tsx: the library imports and its workspace loader reads the project's own TypeScript content.
  const script = `
    import { defineCampaign, loadWorkspace, workspacePaths, recordConsent, startCampaign } from 'consentflow';
    const paths = await workspacePaths(process.cwd());
    if (!paths.ok) throw new Error(paths.message);
    const ws = await loadWorkspace(paths.value);
    console.log(JSON.stringify({ fns: [typeof defineCampaign, typeof recordConsent, typeof startCampaign], campaigns: Object.keys(ws.campaigns), segments: Object.keys(ws.segments), templates: ws.templates.ids().sort(), policy: ws.policy.ok }));`;
  run('npx', ['consentflow', 'init', '.'], project);
  const out = JSON.parse(run(process.execPath, ['--input-type=module', '-e', script], project)) as Record<string, unknown>;
  assert.deepEqual(out, { fns: ['function', 'function', 'function'], campaigns: ['welcome'], segments: ['subscribers'], templates: ['gold-thanks', 'hello'], policy: true });
  assert.match(run('npx', ['consentflow', 'campaign', 'lint'], project), /✓ welcome: lint clean/);
});
