import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ulid } from 'ulid';
import type { RetentionSummary } from '../../activities/retention.js';
import { journeyWorkflowId } from '../../domain/run.js';
import { anyJourneyRunning } from '../../infra/temporal/campaign-journeys.js';
import { policy } from '../../policy/index.js';
import { useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();
const DAY = 86_400_000;

async function retention(): Promise<RetentionSummary> {
  const h = await engine.client.workflow.start('retention', {
    taskQueue: engine.taskQueue,
    workflowId: `retention-${ulid()}`,
    args: [{ v: 1, asOf: new Date().toISOString() }],
  });
  return (await h.result()) as RetentionSummary;
}

// A journey run's record is finished once its journeys are enrolled; the journeys themselves may wait for weeks.
test('a journey run enrolled before the send-ledger retention keeps its member state while one of its journeys runs', async () => {
  const runs = engine.services.runs;
  const old = new Date(Date.now() - (policy.retention.sendLedgerDays + 5) * DAY).toISOString();
  const campaignId = uniqueId('ret-journeys');
  const refs = [1, 2, 3].map((k) => engine.services.pseudonymize(uniqueId(`jr${k}`)));
  const ids = refs.map((ref) => journeyWorkflowId(campaignId, ref));
  const runId = ulid();
  await runs.register({
    runId,
    campaignId,
    kind: 'journey',
    workflowId: `subjects:${campaignId}:${runId}`,
    startedAt: old,
    sendSteps: ['send-1'],
    status: 'snapshotting',
  });
  await runs.addMembers(runId, refs);
  await runs.seal(runId);
  await runs.journeys.add(runId, ids);
  await runs.update(runId, { status: 'finished', finishedAt: old });
  // The second journey is still waiting: no worker polls its queue, so it stays running.
  const waiting = await engine.client.workflow.start('journey', {
    taskQueue: uniqueId('idle'),
    workflowId: ids[1]!,
    args: [{}],
  });
  // Visibility lists a new workflow shortly after it starts; a journey enrolled months ago is long listed.
  while (!(await anyJourneyRunning(engine.client, [ids[1]!]))) await new Promise((r) => setTimeout(r, 50));
  const members = async () => {
    let n = 0;
    for await (const page of runs.pages(runId)) n += page.length;
    return n;
  };
  try {
    await retention();
    assert.equal(await members(), 3, 'the audience stays while a journey of the run runs');
    assert.equal((await runs.get(runId))?.stateRemovedAt, undefined);
  } finally {
    await waiting.terminate('test over');
  }
  await retention();
  assert.equal(await members(), 0, 'once its journeys ended, the run state goes');
  assert.ok((await runs.get(runId))?.stateRemovedAt !== undefined);
});
