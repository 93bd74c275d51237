import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { randomSecretEnv } from '../helpers/cli-harness.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { consentEvent, useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const keys = randomSecretEnv();
const engine = useEngine({ env: keys });
const env = () => ({
  ...keys,
  REDIS_URL: process.env.CF_TEST_REDIS_URL,
  REDIS_KEY_PREFIX: engine.config.redisKeyPrefix,
  TEMPORAL_ADDRESS: process.env.CF_TEST_TEMPORAL_ADDRESS,
  TEMPORAL_TASK_QUEUE: engine.taskQueue,
  CONSENTFLOW_DATA_DIR: engine.config.dataDir,
  CONSENTFLOW_ACTOR: 'dpo-test',
});

test('consentflow dsar access --wait writes the bundle; correct validates fields; erase shreds the profile', async () => {
  const id = uniqueId('s');
  const ref = await engine.seed(id, { email: 'eli@example.org', first_name: 'Eli' });
  await engine.services.consent.append(consentEvent(ref, { purpose: 'marketing.email.newsletter' }));
  // The real entry point once (the spawned smoke run of the dsar commands); the rest run in process.
  const access = await runCli(['dsar', 'access', '--subject', id, '--wait', '--json'], env());
  assert.equal(access.code, 0, access.stderr);
  const record = JSON.parse(access.stdout) as {
    status: string;
    requestId: string;
    bundleId: string;
    bundleExpiresAt: string;
  };
  assert.equal(record.status, 'completed');
  assert.match(record.requestId, /^dsar-access-[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(record.bundleId, record.requestId);
  assert.ok(
    Date.parse(record.bundleExpiresAt) - Date.now() > 29 * 86_400_000,
    'the default retention window is 30 days',
  );
  assert.ok(!record.requestId.includes(ref.slice(3)), 'the request id is not derived from the subject');
  const human = await runCliInProcess(['dsar', 'status', record.bundleId], env());
  assert.match(human.stdout, new RegExp(`bundle {4}${join(engine.config.dataDir, 'dsar').replace(/[.]/g, '\\.')}`));

  const bad = await runCliInProcess(
    ['dsar', 'correct', '--subject', id, '--field', 'gender=robot', '--field', 'shoe=44'],
    env(),
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--field gender: Invalid option.*--field shoe: unknown field/);
  assert.doesNotMatch(bad.stderr, /robot/, 'values are not echoed');
  const none = await runCliInProcess(['dsar', 'correct', '--subject', id], env());
  assert.match(none.stderr, /needs at least one --field/);
  const fixed = await runCliInProcess(
    ['dsar', 'correct', '--subject', id, '--field', 'first_name=Elias', '--wait'],
    env(),
  );
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(fixed.stdout, /corrected first_name/);

  assert.ok(existsSync(join(engine.config.dataDir, 'dsar', `${record.bundleId}.json`)));
  const erased = await runCliInProcess(['dsar', 'erase', '--subject', id, '--wait', '--json'], env());
  assert.equal(erased.code, 0, erased.stderr);
  assert.ok(
    !existsSync(join(engine.config.dataDir, 'dsar', `${record.bundleId}.json`)),
    'erasure deletes the access bundle at once',
  );
  assert.equal((JSON.parse(erased.stdout) as { status: string }).status, 'completed');
  assert.deepEqual(await engine.services.subjects.readAllForAccessRequest(ref), { status: 'erased' });
  const missing = await runCliInProcess(['dsar', 'access', '--json'], env());
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--subject <id> is required/);
});
