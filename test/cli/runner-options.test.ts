import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runnerOptions } from '../../bin/runner-options.js';

test('worker and dev run with a bounded old generation and two malloc arenas', () => {
  for (const command of ['worker', 'dev'])
    assert.deepEqual(runnerOptions(command, {}), {
      nodeFlags: ['--max-old-space-size=256'],
      env: { MALLOC_ARENA_MAX: '2' },
    });
  for (const command of ['campaign', 'api', undefined])
    assert.deepEqual(runnerOptions(command, {}), { nodeFlags: [], env: {} }, `${command} runs as node starts it`);
});

test("the operator's heap sizes and malloc setting win, and 0 keeps node's default", () => {
  assert.deepEqual(
    runnerOptions('worker', {
      CONSENTFLOW_WORKER_HEAP_MB: '1024',
      CONSENTFLOW_WORKER_YOUNG_MB: '0',
      MALLOC_ARENA_MAX: '8',
    }),
    { nodeFlags: ['--max-old-space-size=1024'], env: {} },
  );
  assert.deepEqual(runnerOptions('dev', { CONSENTFLOW_WORKER_HEAP_MB: '0', CONSENTFLOW_WORKER_YOUNG_MB: '64' }), {
    nodeFlags: ['--max-semi-space-size=64'],
    env: { MALLOC_ARENA_MAX: '2' },
  });
});

test('an unreadable size is refused, naming the variable and what to give', () => {
  for (const [name, value] of [
    ['CONSENTFLOW_WORKER_YOUNG_MB', 'lots'],
    ['CONSENTFLOW_WORKER_YOUNG_MB', '-1'],
    ['CONSENTFLOW_WORKER_HEAP_MB', '1.5'],
  ] as const)
    assert.throws(
      () => runnerOptions('worker', { [name]: value }),
      new Error(`${name}=${value}: give a whole number of MB from 0 to 65536 (0 keeps node's default)`),
    );
  assert.doesNotThrow(() => runnerOptions('campaign', { CONSENTFLOW_WORKER_YOUNG_MB: 'lots' }), 'only runners read it');
});
