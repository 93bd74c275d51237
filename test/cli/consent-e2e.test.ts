import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { randomSecretEnv } from '../helpers/cli-harness.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { testRedis, uniqueId } from '../helpers/services.js';

const { url, prefix } = testRedis();
const env = {
  CONSENTFLOW_ACTOR: 'ops-test',
  REDIS_URL: url,
  REDIS_KEY_PREFIX: prefix,
  CONSENTFLOW_DATA_DIR: join(process.env.CF_TEST_DATA_DIR ?? '/tmp', 'e2e-consent'),
  ...randomSecretEnv(),
};
const run = (...args: string[]) => runCliInProcess(args, env);

test('consentflow consent grant, guard check and consent show end to end', async () => {
  const id = uniqueId('e2e');
  const args = ['--subject', id, '--purpose', 'marketing.email.newsletter', '--channel', 'email'];
  assert.equal(JSON.parse((await run('guard', 'check', ...args, '--json')).stdout).outcome, 'deny');
  // The real entry point once (the spawned smoke run of the consent commands); the rest run in process.
  const granted = await runCli(['consent', 'grant', ...args, '--reason', 'signed form in ticket T-1', '--json'], env);
  assert.equal(granted.code, 0, granted.stderr);
  const allowed = JSON.parse((await run('guard', 'check', ...args, '--fields', 'first_name', '--json')).stdout) as {
    outcome: string;
  };
  assert.equal(allowed.outcome, 'allow');
  const shown = await run('consent', 'show', '--subject', id);
  assert.match(shown.stdout, /history \(1 events\)/);
  const bad = await run('consent', 'grant', ...args, '--reason', 'signed form in ticket T-1', '--notice-version', '42');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: --notice-version 42 does not exist/);
});
