import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { addCampaignStatusCommands } from '../../cli/campaign-status.js';
import type { RegisterCommands } from '../../cli/context.js';
import { defineCampaign, holdout } from '../../domain/campaign.js';
import { redisKeys } from '../../infra/redis/keys.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import { runCli, testCliContext } from '../helpers/cli-harness.js';
import { consentEvent, useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

// `campaign status` and `campaign reconcile` against a real engine: counts come from the ledger, state from Temporal.
const engine = useEngine();
const redis = new Redis(process.env.CF_TEST_REDIS_URL!);
after(() => redis.quit().then(() => undefined));
const ctx = () => {
  const base = testCliContext(redis, engine.config.redisKeyPrefix);
  return {
    ...base,
    config: () => engine.config,
    keys: () => redisKeys(engine.config.redisKeyPrefix),
    temporal: async () => engine.client,
  };
};

// The status commands only check that the campaign exists; these test campaigns are not in the example workspace.
const registerCampaignCommandsFor =
  (known: Record<string, unknown>): RegisterCommands =>
  (program, c) =>
    addCampaignStatusCommands(program.command('campaign'), c, (id) => {
      if (!known[id]) throw new Error(`unknown campaign ${id}`);
    });

const broadcast = (purpose: string, segment: string) =>
  defineCampaign({
    id: uniqueId('st'),
    name: 'Status',
    description: 'status test',
    purpose,
    audience: { segment },
    steps: [
      { id: 'send-promo', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
    ],
    options: { kind: 'broadcast', holdoutPercent: 20 },
  });

test('reconcile accounts for every member of a finished broadcast: audience = sum of outcomes, none unaccounted', async () => {
  const tag = uniqueId('rc');
  const c = broadcast('marketing.email.promotions', 'loyal-members');
  // Each member's outcome is known in advance: held out (deterministic per subject and campaign) before anything
  // else, then no consent (not eligible), an outdated notice (denied), or sent. Seed until every kind is present.
  const expected: Record<string, number> = {};
  for (let i = 0; i < 20 || Object.keys(expected).length < 4; i++) {
    const ref = await engine.seed(`${tag}-${i}`, {
      email: `${tag}-${i}@example.org`,
      first_name: `R${i}`,
      loyalty_tier: 'gold',
      preferred_store: 'Mitte',
    });
    if (i % 5 !== 4)
      await engine.services.consent.append(
        consentEvent(ref, { purpose: 'marketing.email.promotions', noticeVersion: i % 4 === 0 ? 2 : 3 }),
      );
    const outcome = holdout(ref, c.id, c.options.holdoutPercent)
      ? 'held_out'
      : i % 5 === 4
        ? 'not_eligible'
        : i % 4 === 0
          ? 'denied'
          : 'sent';
    expected[outcome] = (expected[outcome] ?? 0) + 1;
  }
  const run = await startCampaign(
    engine.client,
    c,
    { segment: 'loyal-members' },
    { taskQueue: engine.taskQueue, campaignVersion: 't', runs: engine.services.runs, pageSize: 6 },
  );
  await engine.client.workflow.getHandle(`campaign:${c.id}`).result();
  const campaigns: Record<string, unknown> = { [c.id]: c };
  const r = await runCli(ctx(), [registerCampaignCommandsFor(campaigns)], ['campaign', 'reconcile', c.id, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const x = JSON.parse(r.stdout) as {
    audienceSize: number;
    outcomes: Record<string, number>;
    unaccounted: number;
    runId: string;
  };
  assert.equal(x.runId, run.runId);
  assert.equal(x.unaccounted, 0);
  assert.deepEqual(x.outcomes, expected);
  assert.equal(
    Object.values(x.outcomes).reduce((a, n) => a + n, 0),
    x.audienceSize,
  );
  const status = await runCli(ctx(), [registerCampaignCommandsFor(campaigns)], ['campaign', 'status', c.id]);
  assert.match(status.stdout, /state COMPLETED/);
  assert.match(status.stdout, /0 unaccounted/);
  // The summary entry closes the run in the log, with the digest of its audience.
  const summaries = [];
  for await (const e of engine.services.log.query({ campaignId: c.id, kind: 'run' })) summaries.push(e);
  assert.equal(summaries.length, 1);
  assert.match(
    summaries[0]!.result ?? '',
    new RegExp(`^audience=${x.audienceSize} .*unaccounted=0 digest=[0-9a-f]{64}$`),
  );
});

test('status names a failed run and why, and covers a run started on named subjects', async () => {
  // The newsletter purpose does not allow reading loyalty_tier, so fixing this audience fails for good.
  const bad = broadcast('marketing.email.newsletter', 'loyal-members');
  await startCampaign(
    engine.client,
    bad,
    { segment: 'loyal-members' },
    { taskQueue: engine.taskQueue, campaignVersion: 't', runs: engine.services.runs },
  );
  await assert.rejects(engine.client.workflow.getHandle(`campaign:${bad.id}`).result());
  const failed = await runCli(ctx(), [registerCampaignCommandsFor({ [bad.id]: bad })], ['campaign', 'status', bad.id]);
  assert.match(failed.stdout, /state FAILED: .*does not allow/);

  const ref = await engine.seed(
    uniqueId('named'),
    { email: `${uniqueId('n')}@example.org`, first_name: 'Nia', loyalty_tier: 'gold', preferred_store: 'Mitte' },
    [{ purpose: 'marketing.email.promotions' }],
  );
  const named = {
    ...broadcast('marketing.email.promotions', 'loyal-members'),
    options: { kind: 'journey' as const, holdoutPercent: 0 },
  };
  await startCampaign(
    engine.client,
    named,
    { subjectRefs: [ref] },
    { taskQueue: engine.taskQueue, campaignVersion: 't', runs: engine.services.runs },
  );
  await engine.client.workflow.getHandle(`journey:${named.id}:${ref}`).result();
  const r = await runCli(
    ctx(),
    [registerCampaignCommandsFor({ [named.id]: named })],
    ['campaign', 'status', named.id, '--json'],
  );
  assert.equal(r.code, 0, r.stderr);
  const x = JSON.parse(r.stdout) as {
    audienceSize: number;
    outcomes: Record<string, number>;
    steps: Record<string, Record<string, number>>;
  };
  assert.deepEqual([x.audienceSize, x.outcomes], [1, { completed: 1 }]);
  assert.deepEqual(x.steps['send-promo'], { sent: 1 });
});
