import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { uniqueId } from '../helpers/services.js';

let blocker: Server;
let blockedPort = 0;

before(async () => {
  blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const addr = blocker.address();
  blockedPort = typeof addr === 'object' && addr ? addr.port : 0;
});
after(() => new Promise<void>((r) => blocker.close(() => r())));

const dataDir = () => `${process.env.CF_TEST_DATA_DIR ?? '.data/test'}/${uniqueId('cli')}`;

test('--help and --version answer without any environment', async () => {
  const help = await runCliInProcess(['--help'], { REDIS_URL: undefined });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Commands:[\s\S]*dev[\s\S]*worker/);
  const v = await runCliInProcess(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
});

test('an unknown command exits non-zero and points to --help', async () => {
  const r = await runCliInProcess(['no-such-command']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'no-such-command'[\s\S]*--help/);
});

test('an invalid environment variable is named with how to fix it', async () => {
  const r = await runCliInProcess(['dev'], { REDIS_URL: 'http://nope', CONSENTFLOW_DATA_DIR: dataDir() });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /REDIS_URL: REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
});

// dev starting its services (and failing to) runs as a real process: it takes the data dir's lock, installs the
// Temporal runtime and registers signal handlers, none of which belongs in the test process.
test('an occupied Redis port gives a clear message and a non-zero exit', async () => {
  const r = await runCli(['dev'], {
    REDIS_URL: undefined,
    REDIS_PORT: String(blockedPort),
    CONSENTFLOW_DATA_DIR: dataDir(),
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`Port ${blockedPort} is already in use, so Redis cannot start there`));
});

test('an unreachable external Temporal is reported, not waited on forever', async () => {
  // The probe gives up after 5 s; the kill bound only catches a hang, so it leaves room for a loaded machine's start-up.
  const r = await runCli(
    ['dev'],
    {
      TEMPORAL_ADDRESS: `127.0.0.1:${blockedPort}`,
      REDIS_URL: process.env.CF_TEST_REDIS_URL,
      CONSENTFLOW_DATA_DIR: dataDir(),
    },
    { timeoutMs: 120_000 },
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`Temporal at TEMPORAL_ADDRESS=127.0.0.1:${blockedPort} is not reachable`));
});

test('a worker with no services configured says which variable to set', async () => {
  const r = await runCliInProcess(['worker'], {
    REDIS_URL: undefined,
    TEMPORAL_ADDRESS: undefined,
    CONSENTFLOW_DATA_DIR: dataDir(),
    CONSENTFLOW_MASTER_KEY: undefined,
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Missing secrets: CONSENTFLOW_MASTER_KEY/);
});
