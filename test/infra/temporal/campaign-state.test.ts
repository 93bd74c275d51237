import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { campaignState } from '../../../infra/temporal/campaign-state.js';
import { useEngine } from '../../helpers/engine.js';
import { uniqueId } from '../../helpers/services.js';

const engine = useEngine();
const started: string[] = [];
after(async () => {
  for (const id of started)
    await engine.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
});

test('a journey the run registered keeps its campaign running while visibility lists none of its journeys', async () => {
  const campaignId = uniqueId('state');
  const runId = uniqueId('run');
  const registry = { runId, journeys: engine.services.runs.journeys };
  // A journey execution visibility's campaign query can never list (no CampaignId search attribute, and no worker
  // polls its queue), standing for one started a moment ago that visibility has not indexed yet.
  const journeyId = `journey:${campaignId}:${uniqueId('subject')}`;
  const never = uniqueId('never-started');
  await engine.services.runs.journeys.add(runId, [never]);
  assert.equal(await campaignState(engine.client, campaignId, registry), 'closed', 'a registered id never started');

  await engine.client.workflow.start('journey', {
    taskQueue: uniqueId('nobody-polls'),
    workflowId: journeyId,
    args: [],
  });
  started.push(journeyId);
  await engine.services.runs.journeys.add(runId, [journeyId]);
  assert.equal(await campaignState(engine.client, campaignId), 'closed', 'visibility alone sees no journey');
  assert.equal(await campaignState(engine.client, campaignId, registry), 'running');
  await engine.services.runs.journeys.setPaused(runId, true);
  assert.equal(await campaignState(engine.client, campaignId, registry), 'paused');

  await engine.client.workflow.getHandle(journeyId).terminate('journey over');
  assert.equal(await campaignState(engine.client, campaignId, registry), 'closed', 'its only journey has ended');
});
