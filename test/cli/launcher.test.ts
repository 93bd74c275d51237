import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { DevRuntime } from '../../cli/runtime-file.js';
import { runCli } from '../helpers/cli.js';
import { exampleRoot } from '../helpers/example-workspace.js';
import { uniqueId } from '../helpers/services.js';

// The installed entry point, bin/consentflow.js, running the real embedded stack.
const launcher = join(exampleRoot, 'bin', 'consentflow.js');

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });

const listening = (hostPort: string): Promise<boolean> =>
  new Promise((resolve) => {
    const [host, port] = hostPort.replace(/^redis:\/\//, '').split(':');
    const sock = connect(Number(port), host ?? '127.0.0.1');
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
  });

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function startDev(
  dataDir: string,
): Promise<{ child: ChildProcess; runtime: DevRuntime; exit: Promise<number | null> }> {
  const env = {
    ...process.env,
    CONSENTFLOW_DATA_DIR: dataDir,
    API_PORT: String(await freePort()),
    REDIS_URL: undefined,
    TEMPORAL_ADDRESS: undefined,
    SMTP_URL: undefined,
  };
  const child = spawn(process.execPath, [launcher, 'dev'], {
    cwd: exampleRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 90_000;
  while (!out.includes('consentflow dev is running')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`dev did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, exit, runtime: DevRuntime.parse(JSON.parse(readFileSync(join(dataDir, 'dev.json'), 'utf8'))) };
}

async function assertNothingRunning(rt: DevRuntime): Promise<void> {
  assert.equal(alive(rt.pid), false, 'the CLI process is gone');
  assert.equal(await listening(rt.redisUrl), false, 'Redis is stopped');
  assert.equal(await listening(rt.temporalAddress), false, 'Temporal is stopped');
}

test(
  'SIGTERM to the launcher stops dev and its Redis and Temporal, and passes the exit code through',
  { timeout: 180_000 },
  async () => {
    const dataDir = join(process.env.CF_TEST_DATA_DIR ?? '.data/test', uniqueId('launch'));
    const dev = await startDev(dataDir);
    assert.notEqual(dev.runtime.pid, dev.child.pid, 'the work runs in the launched child');
    // The child runs with the long runners' heap flags and malloc setting (runner-options.js).
    const argv = readFileSync(`/proc/${dev.runtime.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes('--max-old-space-size=256'), argv.join(' '));
    assert.ok(readFileSync(`/proc/${dev.runtime.pid}/environ`, 'utf8').split('\0').includes('MALLOC_ARENA_MAX=2'));
    assert.equal(await listening(dev.runtime.redisUrl), true);

    // A second dev on the same data dir refuses, naming the running one.
    const second = await runCli(['dev'], {
      CONSENTFLOW_DATA_DIR: dataDir,
      REDIS_URL: undefined,
      TEMPORAL_ADDRESS: undefined,
    });
    assert.equal(second.code, 2);
    assert.equal(
      second.stderr.trim(),
      `error: ${dataDir} is in use by another \`consentflow dev\` (pid ${dev.runtime.pid}); stop that one first, or set CONSENTFLOW_DATA_DIR to another folder`,
    );
    assert.equal(await listening(dev.runtime.redisUrl), true, 'the refused instance left the running one alone');
    assert.ok(readFileSync(join(dataDir, 'dev.json'), 'utf8').includes(String(dev.runtime.pid)), 'and its dev.json');

    dev.child.kill('SIGTERM');
    assert.equal(await dev.exit, 143);
    await assertNothingRunning(dev.runtime);
  },
);

test('a launcher killed outright (SIGKILL) still leaves nothing running', { timeout: 180_000 }, async () => {
  const dataDir = join(process.env.CF_TEST_DATA_DIR ?? '.data/test', uniqueId('launch'));
  const dev = await startDev(dataDir);
  dev.child.kill('SIGKILL');
  await dev.exit;
  const deadline = Date.now() + 30_000;
  while (alive(dev.runtime.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await assertNothingRunning(dev.runtime);
});

test('the launcher passes a command exit code through', async () => {
  const run = (args: string[]) =>
    new Promise<number | null>((r) =>
      spawn(process.execPath, [launcher, ...args], { cwd: exampleRoot, stdio: 'ignore' }).on('exit', (c) => r(c)),
    );
  assert.equal(await run(['--help']), 0);
  assert.equal(await run(['no-such-command']), 2);
});

test('the launcher refuses an unreadable worker heap size before starting anything', () => {
  const r = spawnSync(process.execPath, [launcher, 'worker'], {
    cwd: exampleRoot,
    env: { ...process.env, CONSENTFLOW_WORKER_YOUNG_MB: 'lots' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 2);
  assert.equal(
    r.stderr.trim(),
    "error: CONSENTFLOW_WORKER_YOUNG_MB=lots: give a whole number of MB from 0 to 65536 (0 keeps node's default)",
  );
});
