import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveActor, resolveReason } from '../../cli/actor.js';
import { CliUsageError } from '../../cli/context.js';
import { loadDevKeys } from '../../infra/dev-keys.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { testRedis, uniqueId } from '../helpers/services.js';

test('the actor is --actor, else CONSENTFLOW_ACTOR; only dev falls back to $USER, then "dev"', () => {
  assert.equal(resolveActor({ flag: 'ops-a', env: { CONSENTFLOW_ACTOR: 'ops-b' }, dev: false }), 'ops-a');
  assert.equal(resolveActor({ env: { CONSENTFLOW_ACTOR: 'ops-b', USER: 'u' }, dev: false }), 'ops-b');
  assert.equal(resolveActor({ env: { USER: 'alice' }, dev: true }), 'alice');
  assert.equal(resolveActor({ env: {}, dev: true }), 'dev');
  assert.throws(
    () => resolveActor({ env: { USER: 'alice' }, dev: false }),
    (e: Error) => e instanceof CliUsageError && /--actor <name> or set CONSENTFLOW_ACTOR/.test(e.message),
  );
  assert.throws(
    () => resolveActor({ env: { CONSENTFLOW_ACTOR: 'bob@example.com' }, dev: false }),
    /CONSENTFLOW_ACTOR "bob@example.com" must be 1-64 of .*not an email address/,
  );
  assert.throws(() => resolveActor({ flag: '', env: {}, dev: true }), /--actor "" must be 1-64/);
});

test('a reason is one line of 3-120 characters without an email address; required where the command says why', () => {
  assert.equal(resolveReason(undefined), undefined);
  assert.equal(resolveReason('  ticket T-1 '), 'ticket T-1');
  assert.throws(
    () => resolveReason(undefined, 'to lift a suppression'),
    /--reason "<why>" is required to lift a suppression/,
  );
  assert.throws(() => resolveReason('ok\nsecond line'), /one line/);
  assert.throws(() => resolveReason('x'.repeat(121)), /at most 120/);
  assert.throws(() => resolveReason('asked by ada@example.com'), /must not contain an email address/);
});

const { url, prefix } = testRedis();

test('the real CLI outside dev refuses an operator command without an actor, naming --actor and CONSENTFLOW_ACTOR (exit 2)', async () => {
  const dataDir = join(process.env.CF_TEST_DATA_DIR ?? '.data/test', uniqueId('actor'));
  loadDevKeys(dataDir, true);
  const env = {
    REDIS_URL: url,
    REDIS_KEY_PREFIX: prefix,
    CONSENTFLOW_DATA_DIR: dataDir,
    CONSENTFLOW_ACTOR: undefined,
    USER: 'ops-alice',
  };
  const r = await runCliInProcess(['log', 'query', '--kind', 'operator'], env);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^error: this command is recorded in the decision log with who ran it: pass --actor <name> or set CONSENTFLOW_ACTOR=<name>/,
  );
  // The real entry point once (the spawned smoke run of the log commands).
  const ok = await runCli(['log', 'query', '--kind', 'operator', '--json'], { ...env, CONSENTFLOW_ACTOR: 'ops-alice' });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(JSON.parse(ok.stdout).entries[0].result, /^actor=ops-alice q\.kind=operator$/);
});
