import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMonitorActivities } from '../../activities/monitor.js';
import { emptyTotals } from '../../domain/monitor-counters.js';
import { createServices } from '../../infra/compose.js';
import { createMonitorMetrics } from '../../infra/metrics/monitor-metrics.js';
import { createProcessMetrics } from '../../infra/metrics/provider.js';
import { policy } from '../../policy/index.js';
import { testConfig } from '../helpers/config.js';
import { testRedis, uniqueId } from '../helpers/services.js';

// The pause activity on the real decision log (Redis); Temporal's side (the pause signal, the alert workflow) is
// stubbed here, since what is under test is the count after a retried append. The workflow test covers the rest.
const { redis, prefix } = testRedis();
const services = createServices(testConfig({ REDIS_KEY_PREFIX: prefix }), redis, policy);
const metrics = createProcessMetrics('consentflow-worker');
const counter = createMonitorMetrics(metrics.meter);
const acts = createMonitorActivities({
  runCounters: async () => emptyTotals,
  policy: () => services.policy,
  appendLog: (entries, opts) => services.log.appendBatch(entries, opts),
  unsubscribeCount: async () => 0,
  campaignState: async () => 'running',
  pauseCampaign: async () => 'signalled',
  raiseAlert: async () => 'raised',
  onMonitorPause: (campaign) => counter.pauses.add(1, { campaign }),
});

const pauses = async (campaign: string) =>
  Number(
    new RegExp(`^consentflow_monitor_pauses_total\\{campaign="${campaign}"\\} (\\d+)$`, 'm').exec(
      await metrics.scrape(),
    )?.[1] ?? 0,
  );
const pauseEntries = async (campaignId: string) => {
  let n = 0;
  for await (const e of services.log.query({ campaignId, kind: 'operator' }))
    if (e.stepId === 'campaign_paused_by_monitor') n++;
  return n;
};

test('a pause retried after its log entry landed is logged and counted once; the next pause of the run counts again', async () => {
  const campaignId = uniqueId('c');
  const input = {
    campaignId,
    runId: uniqueId('run'),
    window: '1m',
    seq: 1,
    at: new Date().toISOString(),
    crossed: [{ rate: 'hard_bounce' as const, count: 6, sample: 10, value: 0.6, threshold: 0.05 }],
  };
  assert.equal(await acts.pauseByMonitor(input), 'paused');
  assert.equal(await pauses(campaignId), 1);
  // Temporal retries an activity whose worker crashed after the append: same input, same idempotency key.
  assert.equal(await acts.pauseByMonitor(input), 'paused');
  assert.equal(await pauses(campaignId), 1, 'the retry found the stored entry and counted nothing');
  assert.equal(await pauseEntries(campaignId), 1);
  await acts.pauseByMonitor({ ...input, seq: 2 });
  assert.equal(await pauses(campaignId), 2, 'a second pause of the run is a new entry and counts');
  assert.equal(await pauseEntries(campaignId), 2);
});
