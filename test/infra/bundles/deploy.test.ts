import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deployCampaign } from '../../../infra/bundles/deploy.js';
import { DeployedContent } from '../../../infra/bundles/deployed-content.js';
import { matchesSegment } from '../../../domain/segment.js';
import { policyVersion } from '../../../infra/policy-loader.js';
import { CorruptBundleError } from '../../../infra/redis/bundle-store.js';
import { createServices } from '../../../infra/compose.js';
import type { Workspace } from '../../../infra/workspace/load.js';
import { testConfig } from '../../helpers/config.js';
import { deployWorkspace } from '../../helpers/deploy-workspace.js';
import { testRedis } from '../../helpers/services.js';

const { redis, prefix } = testRedis();
const config = testConfig({ REDIS_KEY_PREFIX: prefix });

async function setup() {
  const dw = deployWorkspace();
  const ws = await dw.open();
  assert.ok(ws.policy.ok);
  const s = createServices(config, redis, ws.policy.value);
  const deploy = async (w: Workspace) => {
    assert.ok(w.policy.ok);
    const campaign = w.campaigns[dw.campaignId];
    assert.ok(campaign, `campaign loads: ${JSON.stringify(w.campaignFailures)}`);
    return deployCampaign(s.bundles, w, w.policy.value, campaign);
  };
  return { dw, ws, s, deploy };
}

test('the same content deploys to the same hash, once; a changed template gets a new hash and the old bundle stays as it was', async () => {
  const { dw, ws, s, deploy } = await setup();
  const first = await deploy(ws);
  const again = await deploy(await dw.open());
  assert.ok(first.ok && again.ok);
  assert.match(first.hash, /^[0-9a-f]{64}$/);
  assert.equal(again.hash, first.hash);
  assert.deepEqual([first.created, again.created], [true, false]);

  dw.setSubject('welcome-1', 'Hello again, {{first_name}}');
  const changed = await deploy(await dw.open());
  assert.ok(changed.ok && changed.created);
  assert.notEqual(changed.hash, first.hash);
  const [before, after] = await Promise.all([s.bundles.bundle(first.hash), s.bundles.bundle(changed.hash)]);
  assert.doesNotMatch(before!.templates['welcome-1']!, /Hello again/);
  assert.match(after!.templates['welcome-1']!, /subject: "Hello again, \{\{first_name\}\}"/);
  assert.deepEqual(Object.keys(after!.templates).sort(), ['welcome-1', 'welcome-2']);
  assert.equal(after!.policyVersion, policyVersion(ws.policy.ok ? ws.policy.value : (undefined as never)));
});

test('a changed segment or policy changes the hash, and the policy snapshot is stored by its version', async () => {
  const { dw, ws, s, deploy } = await setup();
  const first = await deploy(ws);
  dw.setSegmentName('Someone else');
  const seg = await deploy(await dw.open());
  dw.setNewsletterPersonalised(true);
  const pol = await deploy(await dw.open());
  assert.ok(first.ok && seg.ok && pol.ok);
  assert.equal(new Set([first.hash, seg.hash, pol.hash]).size, 3);
  assert.notEqual(pol.policyVersion, seg.policyVersion);
  const snapshot = await s.bundles.policy(pol.policyVersion);
  assert.equal(snapshot?.purposes.find((p) => p.id === 'marketing.email.newsletter')?.personalised, true);
  assert.equal(policyVersion(snapshot!), pol.policyVersion);
  assert.equal(
    await s.bundles.currentPolicyVersion(),
    pol.policyVersion,
    'the newest deploy sets the policy the guard applies',
  );
});

test('a worker compiles a bundle once, its segment predicate behaves like the file it came from, and a tampered bundle is refused', async () => {
  const { dw, ws, s, deploy } = await setup();
  const d = await deploy(ws);
  assert.ok(d.ok && ws.policy.ok);
  const content = new DeployedContent(s.bundles, { policy: ws.policy.value });
  const b = await content.bundle(d.hash);
  await content.bundle(d.hash);
  assert.equal(content.fetches, 1);
  const segment = b.segments[dw.segmentId]!;
  assert.deepEqual(segment.reads, ['first_name']);
  assert.equal(matchesSegment(segment, { first_name: 'Dripper' }, 0), true);
  assert.equal(matchesSegment(segment, { first_name: 'Other' }, 0), false);
  assert.equal(b.templates.info('welcome-1')?.channel, 'email');
  assert.equal(
    b.templates.info('reengage-offer'),
    undefined,
    'only the templates the campaign sends are in its bundle',
  );

  const key = s.keys.bundle(d.hash);
  await redis.set(key, (await redis.get(key))!.replace('Welcome to', 'Welcome back to'));
  await assert.rejects(new DeployedContent(s.bundles, { policy: ws.policy.value }).bundle(d.hash), CorruptBundleError);
  await assert.rejects(content.bundle('0'.repeat(64)), /is not deployed in this Redis/);
});

test('a campaign that does not lint clean stores nothing', async () => {
  const { ws, s } = await setup();
  assert.ok(ws.policy.ok);
  const campaign = Object.values(ws.campaigns)[0]!;
  const bad = {
    ...campaign,
    steps: [
      {
        id: 'send',
        type: 'send' as const,
        channel: 'email' as const,
        template: 'no-such-template',
        processor: 'smtp-relay',
      },
    ],
  };
  const before = await redis.keys(`${prefix}*`);
  const r = await deployCampaign(s.bundles, ws, ws.policy.value, bad);
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.reason === 'lint' && r.problems.some((p) => p.code === 'template_missing'));
  assert.deepEqual((await redis.keys(`${prefix}*`)).sort(), before.sort());
});
