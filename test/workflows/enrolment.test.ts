import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineCampaign } from '../../domain/campaign.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

// Its own engine, so the segment holds only the members seeded here.
const engine = useEngine();

test('a journey campaign on a segment enrols each member once, and a second start enrols nobody again', async () => {
  const tiers = ['gold', 'platinum', 'silver', 'gold', 'none', 'gold', 'platinum', 'silver', 'gold', 'gold', 'none', 'platinum'];
  const members = await Promise.all(
    tiers.map(async (tier, i) => ({ tier, ref: await engine.seed(uniqueId(`e${i}`), { email: `${uniqueId('e')}@example.org`, first_name: `E${i}`, loyalty_tier: tier }, [{ purpose: 'marketing.email.promotions' }]) })),
  );
  const c = defineCampaign({
    id: uniqueId('journey'), name: 'Journey', description: 'enrolment test', purpose: 'marketing.email.promotions', audience: { segment: 'loyal-members' },
    steps: [{ id: 'later', type: 'wait', duration: '1d' }, { id: 'send-promo', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' }],
  });
  const loyal = members.filter((m) => m.tier === 'gold' || m.tier === 'platinum');
  await startCampaign(engine.client, c, { segment: 'loyal-members' }, { taskQueue: engine.taskQueue, campaignVersion: 'v-test', pageSize: 5 });
  const first = (await engine.client.workflow.getHandle(`campaign:${c.id}`).result()) as CampaignProgress;
  assert.deepEqual([first.scanned, first.enrolled, first.duplicate], [members.length, loyal.length, 0]);
  for (const m of members) {
    const d = await engine.client.workflow.getHandle(`journey:${c.id}:${m.ref}`).describe().catch(() => undefined);
    assert.equal(d?.status.name, loyal.includes(m) ? 'RUNNING' : undefined, `${m.tier} member enrolled only if loyal`);
  }
  await startCampaign(engine.client, c, { segment: 'loyal-members' }, { taskQueue: engine.taskQueue, campaignVersion: 'v-test', pageSize: 5 });
  const second = (await engine.client.workflow.getHandle(`campaign:${c.id}`).result()) as CampaignProgress;
  assert.deepEqual([second.enrolled, second.duplicate], [0, loyal.length]);
  await Promise.all(loyal.map((m) => engine.client.workflow.getHandle(`journey:${c.id}:${m.ref}`).terminate('test done')));
});
