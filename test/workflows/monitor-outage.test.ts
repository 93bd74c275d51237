import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { createMonitorActivities } from '../../activities/monitor.js';
import { defineCampaign } from '../../domain/campaign.js';
import { MonitorThresholds } from '../../domain/monitor-thresholds.js';
import { alertRaiser } from '../../infra/alerts/raise.js';
import { cacheDir } from '../../infra/embedded/process.js';
import { readRunCounters } from '../../infra/redis/run-counters.js';
import { prebuiltWorkflowBundle } from '../../infra/temporal/bundle.js';
import { controlCampaign } from '../../infra/temporal/campaign-control.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import { campaignState } from '../../infra/temporal/campaign-state.js';
import { connectClient, connectWorker, dataConverter } from '../../infra/temporal/connection.js';
import type { CampaignMonitorInput, CampaignMonitorResult } from '../../workflows/campaign-monitor.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { eventually, useEngine } from '../helpers/engine.js';
import { bouncingAudience, campaignEntries } from '../helpers/bouncing-audience.js';
import { testTemporal, uniqueId } from '../helpers/services.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const engine = useEngine();
const temporal = testTemporal();
const redis = new Redis(process.env.CF_TEST_REDIS_URL!);
const PAGE = 5;

// The monitor under test runs on its own worker, whose pause signal goes to Temporal through a proxy the test cuts.
let proxy: TcpProxy;
let signaller: Client;
let worker: Worker;
let running: Promise<void>;
before(async () => {
  proxy = await startTcpProxy(temporal.address);
  signaller = await connectClient(engine.config, proxy.address);
  worker = await Worker.create({
    connection: await connectWorker(temporal.address),
    namespace: engine.config.namespace,
    taskQueue: temporal.taskQueue,
    workflowBundle: { codePath: prebuiltWorkflowBundle(join(cacheDir(), 'bundles')) },
    dataConverter: dataConverter(engine.config),
    activities: createMonitorActivities({
      runCounters: (runId, since, until) =>
        readRunCounters(
          redis,
          engine.services.keys,
          engine.config.logPartitions,
          runId,
          since.getTime(),
          until.getTime(),
        ),
      unsubscribeCount: (campaignId, since, until) => engine.services.unsubscribes.between(campaignId, since, until),
      policy: () => engine.services.policy,
      appendLog: (entries, opts) => engine.services.log.appendBatch(entries, opts),
      campaignState: (campaignId) => campaignState(engine.client, campaignId),
      pauseCampaign: (campaignId) => controlCampaign(signaller, engine.services.runs, campaignId, 'pause'),
      raiseAlert: (a) => alertRaiser(engine.client, engine.taskQueue)(a),
    }),
  });
  running = worker.run();
});
after(async () => {
  worker.shutdown();
  await running;
  await signaller.connection.close();
  await proxy.stop();
  await redis.quit();
});

const entries = (campaignId: string) => campaignEntries(engine, campaignId);

test('a threshold crossed while Temporal is unreachable for the pause signal pauses the run once it is back, logged once, and nothing is sent after', async () => {
  // The first three pages bounce; the rest are held at the sink, so the run stands still until the test releases it.
  const { rest, delivered, release, heldRecipients } = await bouncingAudience(engine, 'outage');

  const c = defineCampaign({
    id: uniqueId('outage'),
    name: 'Bouncing promo',
    description: 'an audience that hard-bounces while Temporal is away',
    purpose: 'marketing.email.promotions',
    audience: { segment: 'loyal-members' },
    steps: [
      { id: 'send-promo', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
    ],
    // The run's own monitor never pauses: the one under test below does.
    options: { kind: 'broadcast', holdoutPercent: 0, monitor: { maxRates: { hard_bounce: 1, failure: 1 } } },
  });
  await proxy.down();
  const res = await startCampaign(
    engine.client,
    c,
    { segment: 'loyal-members' },
    { taskQueue: engine.taskQueue, campaignVersion: 'v-test', pageSize: PAGE, runs: engine.services.runs },
  );
  assert.equal(res.kind, 'run');
  const input: CampaignMonitorInput = {
    v: 1,
    campaignId: c.id,
    runId: res.runId,
    thresholds: MonitorThresholds.parse({ window: '1m', minSample: 10, maxRates: { hard_bounce: 0.2 } }),
    tickMs: 200,
  };
  const monitor = await engine.client.workflow.start('campaignMonitor', {
    taskQueue: temporal.taskQueue,
    workflowId: `outage-monitor:${c.id}`,
    args: [input],
  });

  // The monitor crosses the threshold and its pause keeps failing: the signal cannot reach Temporal.
  await eventually(
    async () => {
      const pending = (await monitor.describe()).raw.pendingActivities ?? [];
      return pending.some((a) => a.activityType?.name === 'pauseByMonitor' && (a.attempt ?? 0) >= 2) ? true : undefined;
    },
    60_000,
    'the pause to fail at least once',
  );
  const broadcast = engine.client.workflow.getHandle(`campaign:${c.id}`);
  assert.equal((await broadcast.query<CampaignProgress>('progress')).status, 'running');
  assert.ok(
    !(await entries(c.id)).some((e) => e.stepId === 'campaign_paused_by_monitor'),
    'no pause is logged before it is applied',
  );

  // Temporal is reachable again: the activity's retry applies the pause.
  await proxy.up();
  await eventually(
    async () => ((await broadcast.query<CampaignProgress>('progress')).status === 'paused' ? true : undefined),
    120_000,
    'the retried pause to reach the broadcast',
  );
  release();
  await eventually(
    async () => {
      const [p, d] = await Promise.all([broadcast.query<CampaignProgress>('progress'), broadcast.describe()]);
      return p.status === 'paused' && (d.raw.pendingActivities ?? []).length === 0 ? true : undefined;
    },
    60_000,
    'the page in flight to finish',
  );

  // Cancelled while paused, the run closes without another page: nothing went out after the pause was applied.
  assert.equal(await controlCampaign(engine.client, engine.services.runs, c.id, 'cancel'), 'signalled');
  assert.equal(((await broadcast.result()) as CampaignProgress).status, 'cancelled');
  // What was in flight when the pause arrived may still finish, even in an attempt Temporal timed out during the
  // outage or a message queued in the SMTP pool; no page starts after it, so the run stops short of its audience.
  assert.ok(heldRecipients() < rest.size, `the run stopped before the end of its audience (${heldRecipients()})`);
  assert.ok(delivered() <= heldRecipients());
  const result = (await monitor.result()) as CampaignMonitorResult;
  assert.equal(result.pauses, 1);
  const pauses = (await entries(c.id)).filter((e) => e.stepId === 'campaign_paused_by_monitor');
  assert.equal(pauses.length, 1, 'the pause is logged once, however often its activity ran');
  assert.equal(pauses[0]!.runId, res.runId);
});
