import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineCampaign } from '../../domain/campaign.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import { reconcileRun } from '../../infra/redis/run-reconcile.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

// Its own engine, so the segment holds only the members seeded here.
const engine = useEngine();

test('a journey campaign on a segment enrols each member once, and a second start enrols nobody again', async () => {
  const tiers = [
    'gold',
    'platinum',
    'silver',
    'gold',
    'none',
    'gold',
    'platinum',
    'silver',
    'gold',
    'gold',
    'none',
    'platinum',
  ];
  const members = await Promise.all(
    tiers.map(async (tier, i) => ({
      tier,
      ref: await engine.seed(
        uniqueId(`e${i}`),
        { email: `${uniqueId('e')}@example.org`, first_name: `E${i}`, loyalty_tier: tier },
        [{ purpose: 'marketing.email.promotions' }],
      ),
    })),
  );
  const c = defineCampaign({
    id: uniqueId('journey'),
    name: 'Journey',
    description: 'enrolment test',
    purpose: 'marketing.email.promotions',
    audience: { segment: 'loyal-members' },
    steps: [
      { id: 'later', type: 'wait', duration: '1d' },
      { id: 'send-promo', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
    ],
  });
  const loyal = members.filter((m) => m.tier === 'gold' || m.tier === 'platinum');
  const opts = { taskQueue: engine.taskQueue, campaignVersion: 'v-test', pageSize: 5, runs: engine.services.runs };
  const reconcile = async (runId: string) =>
    reconcileRun(engine.services.runs, engine.services.ledger, (await engine.services.runs.get(runId))!);
  const run1 = await startCampaign(engine.client, c, { segment: 'loyal-members' }, opts);
  await engine.client.workflow.getHandle(`campaign:${c.id}`).result();
  const first = await reconcile(run1.runId);
  assert.deepEqual(
    [first.audienceSize, first.outcomes.in_progress, first.unaccounted],
    [loyal.length, loyal.length, 0],
  );
  for (const m of members) {
    const d = await engine.client.workflow
      .getHandle(`journey:${c.id}:${m.ref}`)
      .describe()
      .catch(() => undefined);
    assert.equal(d?.status.name, loyal.includes(m) ? 'RUNNING' : undefined, `${m.tier} member enrolled only if loyal`);
  }
  const run2 = await startCampaign(engine.client, c, { segment: 'loyal-members' }, opts);
  const second = (await engine.client.workflow.getHandle(`campaign:${c.id}`).result()) as CampaignProgress;
  assert.deepEqual([second.counts.enrolled ?? 0, second.counts.duplicate], [0, loyal.length], JSON.stringify(second));
  assert.deepEqual(second.outcomes, { in_progress: loyal.length });
  assert.equal((await reconcile(run2.runId)).unaccounted, 0);
  await Promise.all(
    loyal.map((m) => engine.client.workflow.getHandle(`journey:${c.id}:${m.ref}`).terminate('test done')),
  );
});
