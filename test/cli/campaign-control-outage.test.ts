import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ulid } from 'ulid';
import { campaignWorkflowId } from '../../infra/temporal/campaign-runs.js';
import { randomSecretEnv } from '../helpers/cli-harness.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const keys = randomSecretEnv();
const engine = useEngine({ env: keys });
const env = (temporalAddress: string | undefined) => ({
  ...keys,
  REDIS_URL: process.env.CF_TEST_REDIS_URL,
  REDIS_KEY_PREFIX: engine.config.redisKeyPrefix,
  TEMPORAL_ADDRESS: temporalAddress,
  TEMPORAL_TASK_QUEUE: engine.taskQueue,
  CONSENTFLOW_DATA_DIR: engine.config.dataDir,
  CONSENTFLOW_ACTOR: 'ops-ana',
});

test('campaign cancel while Temporal is unreachable flags the runs, records the act and exits 75; run again, it signals', async () => {
  const id = 'winter-promo';
  const runs = engine.services.runs;
  const runId = ulid();
  await runs.register({
    runId,
    campaignId: id,
    kind: 'broadcast',
    workflowId: campaignWorkflowId(id),
    startedAt: new Date().toISOString(),
    sendSteps: ['send'],
    status: 'ready',
  });
  const cancels = async () => {
    let n = 0;
    for await (const e of engine.services.log.query({ kind: 'operator' }))
      if (e.campaignId === id && e.stepId === 'campaign_cancelled') n++;
    return n;
  };
  // A closed port: the client gives up at its connect deadline, as against a Temporal that is down.
  const down = await runCliInProcess(['campaign', 'cancel', id, '--reason', 'relay incident'], env('127.0.0.1:1'));
  assert.equal(down.code, 75, down.stderr);
  assert.match(
    down.stderr,
    /^winter-promo: its runs are flagged cancelled, so no further send starts .*but the cancel signal could not reach Temporal: cannot reach Temporal at 127\.0\.0\.1:1 .*; run `consentflow campaign cancel winter-promo` again once Temporal is reachable/,
  );
  assert.equal(await runs.journeys.state(runId), 'cancelled', 'the flag every page in flight polls is set');
  assert.equal(await cancels(), 1, 'the act that took effect is in the log');
  // Temporal back: the same command signals the broadcast (no worker polls its queue, so it stays open).
  const handle = await engine.client.workflow.start('broadcast', {
    taskQueue: uniqueId('idle'),
    workflowId: campaignWorkflowId(id),
    args: [{ v: 1 }],
  });
  try {
    const up = await runCliInProcess(
      ['campaign', 'cancel', id, '--reason', 'relay incident'],
      env(process.env.CF_TEST_TEMPORAL_ADDRESS),
    );
    assert.equal(up.code, 0, up.stderr);
    const signals = ((await handle.fetchHistory()).events ?? []).flatMap((ev) =>
      ev.workflowExecutionSignaledEventAttributes ? [ev.workflowExecutionSignaledEventAttributes.signalName] : [],
    );
    assert.deepEqual(signals, ['cancel']);
    assert.equal(await cancels(), 2);
  } finally {
    await handle.terminate('test over');
  }
});
