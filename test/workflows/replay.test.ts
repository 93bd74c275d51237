import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { buildConfig, parseEnv } from '../../infra/config.js';
import { dataConverter } from '../../infra/temporal/connection.js';
import { installRuntime } from '../../infra/temporal/runtime.js';
import { workflowsPath } from '../../worker.js';
import { REPLAY_CODEC_KEY } from '../fixtures/histories/replay-key.js';

// Histories recorded by scripts/record-histories.ts. A workflow change that breaks running journeys fails here;
// re-record only for a deliberate, versioned change (patched() or a new workflow type).
installRuntime();
const dir = join(import.meta.dirname, '..', 'fixtures', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.history.pb'));
const key = Buffer.alloc(32, 9);
const config = buildConfig(parseEnv({ CONSENTFLOW_CODEC_KEY_ID: 'replay-fixture' }), {
  masterKey: key,
  pseudonymKey: key,
  logKey: key,
  tokenKey: key,
  codecKey: Buffer.from(REPLAY_CODEC_KEY, 'hex'),
});
const load = (f: string) => proto.temporal.api.history.v1.History.decode(readFileSync(join(dir, f)));

test('there are recorded histories for the journey and the broadcast', () => {
  assert.ok(files.some((f) => f.startsWith('journey-')));
  assert.ok(files.some((f) => f.startsWith('broadcast')));
});

for (const f of files) {
  test(`the current workflow code replays ${f} deterministically`, async () => {
    await Worker.runReplayHistory({ workflowsPath, dataConverter: dataConverter(config) }, load(f), f);
  });
}

test('after a codec key rotation, histories written under the old key still decode and replay', async () => {
  const { randomBytes } = await import('node:crypto');
  const fixtureKey = { id: 'replay-fixture', key: Buffer.from(REPLAY_CODEC_KEY, 'hex') };
  const rotated = buildConfig(parseEnv({}), {
    masterKey: key,
    pseudonymKey: key,
    logKey: key,
    tokenKey: key,
    codecKey: { current: { id: 'codec-rotated', key: randomBytes(32) }, previous: [fixtureKey] },
  });
  assert.equal(rotated.secrets.codecKeyId, 'codec-rotated');
  for (const f of files)
    await Worker.runReplayHistory({ workflowsPath, dataConverter: dataConverter(rotated) }, load(f), `rotated-${f}`);
  // Without the previous key the same histories cannot be decoded: the replay above depended on it.
  const dropped = buildConfig(parseEnv({}), {
    masterKey: key,
    pseudonymKey: key,
    logKey: key,
    tokenKey: key,
    codecKey: { current: rotated.secrets.rings.codec.current, previous: [] },
  });
  await assert.rejects(
    Worker.runReplayHistory({ workflowsPath, dataConverter: dataConverter(dropped) }, load(files[0]!), 'dropped'),
  );
});

test('a non-deterministic edit of the journey fails replay', async () => {
  const changed = fileURLToPath(new URL('../fixtures/workflows/changed-journey.ts', import.meta.url));
  await assert.rejects(
    Worker.runReplayHistory(
      { workflowsPath: changed, dataConverter: dataConverter(config) },
      load('journey-every-step.history.pb'),
      'changed',
    ),
    (e: unknown) => e instanceof DeterminismViolationError,
  );
});
