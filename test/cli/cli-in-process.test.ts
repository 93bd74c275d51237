import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDevKeys } from '../../infra/dev-keys.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { testRedis, uniqueId } from '../helpers/services.js';
import { arfReport } from '../infra/complaints/complaints-helpers.js';
import { campaignSource, tempWorkspace } from '../helpers/temp-workspace.js';

// The in-process runs stand in for real processes in most CLI tests, so they must answer as one does.
const { url, prefix } = testRedis();
const dataDir = join(process.env.CF_TEST_DATA_DIR ?? '.data/test', uniqueId('inproc'));
loadDevKeys(dataDir, true);
const env = { REDIS_URL: url, REDIS_KEY_PREFIX: prefix, CONSENTFLOW_DATA_DIR: dataDir };
const plain = ['From: news@shop.example', 'To: pat@example.org', 'Message-ID: <p@shop.example>', '', 'body', ''].join(
  '\r\n',
);

test('a command run in process gives the spawned entry point exit code, stdout and stderr', async () => {
  const args = ['consent', 'grant', '--subject', 'has space', '--purpose', 'marketing.email.newsletter'];
  const spawned = await runCli(args, env);
  assert.equal(spawned.code, 2, spawned.stderr);
  assert.deepEqual(await runCliInProcess(args, env), spawned);
});

test('stdin carries `input` (empty without it), and an exit code set by the command is returned, not kept', async () => {
  const malformed = await runCliInProcess(['complaint', 'arf'], env, { input: plain });
  assert.equal(malformed.code, 65, malformed.stderr);
  assert.match(malformed.stdout, /not a feedback report \(not_feedback_report\)/);
  assert.equal(process.exitCode, undefined);
  const unmatched = await runCliInProcess(['complaint', 'arf', '--json'], env, { input: arfReport(plain) });
  assert.equal(unmatched.code, 0, unmatched.stderr);
  assert.equal((JSON.parse(unmatched.stdout) as { status: string }).status, 'unmatched');
  const none = await runCliInProcess(['complaint', 'arf'], env);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^error: no message to read: pipe the report in/);
});

test('the environment is the overlay during a run and restored after it, variables it removed included', async () => {
  process.env.CF_INPROC_PROBE = 'kept';
  try {
    const r = await runCliInProcess(['policy', 'check'], {
      CF_INPROC_PROBE: undefined,
      CONSENTFLOW_WORKSPACE: '/no-cf',
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: workspace \/no-cf: does not exist/);
    assert.equal(process.env.CF_INPROC_PROBE, 'kept');
    assert.equal(process.env.CONSENTFLOW_WORKSPACE, undefined);
  } finally {
    delete process.env.CF_INPROC_PROBE;
  }
});

test('a run captures only its own writes: a writer outside it reaches the stream while the command runs', async () => {
  const reaching: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => reaching.push(String(chunk)) > 0) as typeof write;
  // The campaign file calls the probe while it loads, inside the run; the write it releases runs in this context.
  let release = (): void => undefined;
  const outside = new Promise<void>((r) => (release = r)).then(() => process.stderr.write('outside\n'));
  const probe = globalThis as { cfInProcessProbe?: () => void };
  probe.cfInProcessProbe = () => {
    process.stderr.write('inside\n');
    release();
  };
  const ws = tempWorkspace({ 'probe.ts': `${campaignSource({})}globalThis.cfInProcessProbe?.();\n` });
  try {
    const r = await runCliInProcess(['campaign', 'lint', '--workspace', ws]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, 'inside\n');
    assert.match(r.stdout, /✓ cart: lint clean/);
    await outside;
    assert.deepEqual(reaching, ['outside\n']);
  } finally {
    process.stderr.write = write;
    delete probe.cfInProcessProbe;
  }
});

test('runs started together take turns, each with its own environment and output', async () => {
  const ws = tempWorkspace({});
  const [good, bad, version] = await Promise.all([
    runCliInProcess(['policy', 'check'], { CONSENTFLOW_WORKSPACE: ws }),
    runCliInProcess(['policy', 'check'], { CONSENTFLOW_WORKSPACE: '/no-cf' }),
    runCliInProcess(['--version']),
  ]);
  assert.deepEqual([good.code, good.stderr], [0, '']);
  assert.match(good.stdout, /^policy ok:/);
  assert.deepEqual([bad.code, bad.stdout], [2, '']);
  assert.match(bad.stderr, /^error: workspace \/no-cf: does not exist/);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});
