import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { journeyWorkflowId } from '../../../activities/campaign.js';
import { defineCampaign } from '../../../domain/campaign.js';
import { freePort } from '../../../infra/embedded/process.js';
import { rightsStores } from '../../../infra/subject-request-deps.js';
import { journeyStarter } from '../../../infra/temporal/journeys.js';
import { installRuntime } from '../../../infra/temporal/runtime.js';
import type { JourneyState } from '../../../workflows/signals.js';
import { useApi } from '../../helpers/api.js';
import { useEngine } from '../../helpers/engine.js';
import { uniqueId } from '../../helpers/services.js';

// The runtime is per process and installed once: its metrics endpoint must be set before the engine's worker starts.
const temporalMetrics = `127.0.0.1:${await freePort()}`;
installRuntime('WARN', { metricsAddress: temporalMetrics });
const workerMetrics = `127.0.0.1:${await freePort()}`;
const engine = useEngine({ env: { CONSENTFLOW_METRICS_ADDR: workerMetrics } });
const api = useApi(engine);

const promtool = process.env.CF_TEST_PROMTOOL;
function promtoolCheck(text: string): void {
  assert.ok(promtool, 'CF_TEST_PROMTOOL is set by scripts/test.ts (obtainPromtool)');
  const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool check metrics: ${r.stdout}${r.stderr}`);
}
const scrape = async (url: string) => {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
};
const sample = (text: string, series: string) =>
  Number(new RegExp(`^${series.replace(/[{}"=,.+]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

test('worker, API and Temporal runtime serve metrics that promtool accepts, counting a real send by outcome, without personal data', async () => {
  const c = defineCampaign({
    id: uniqueId('c'),
    name: 'Metrics',
    description: 'metrics test',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'all-subscribers' },
    steps: [{ id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' }],
  });
  // N allowed members and one without consent, each through a real journey: Temporal, Redis, the SMTP sink.
  const N = 3;
  const addresses = Array.from({ length: N }, () => `${uniqueId('mo')}@example.org`);
  const allowed: string[] = [];
  for (const email of addresses)
    allowed.push(
      await engine.seed(uniqueId('s'), { email, first_name: 'Mo' }, [{ purpose: 'marketing.email.newsletter' }]),
    );
  const denied = await engine.seed(uniqueId('s'), { email: `${uniqueId('no')}@example.org`, first_name: 'No' });
  for (const ref of [...allowed, denied]) {
    const id = journeyWorkflowId(c.id, ref);
    await journeyStarter(engine.client, engine.taskQueue)(id, {
      v: 1,
      campaign: c,
      campaignVersion: 'test',
      subjectRef: ref,
    });
    await (engine.client.workflow.getHandle(id).result() as Promise<JourneyState>);
  }
  const overdue = new Date(Date.now() - 20 * 86_400_000);
  await rightsStores(engine.config, engine.services.log.opts.redis).requests.put({
    requestId: 'dsar-erase-01J00000000000000000000000',
    type: 'erase',
    subjectRef: denied,
    status: 'in_progress',
    receivedAt: overdue.toISOString(),
    deadline: new Date(overdue.getTime() + 15 * 86_400_000).toISOString(),
  });

  const worker = await scrape(`http://${workerMetrics}/metrics`);
  promtoolCheck(worker);
  const sends = (outcome: string) =>
    sample(worker, `consentflow_sends_total{outcome="${outcome}",channel="email",campaign="${c.id}"}`);
  assert.equal(sends('sent'), N, worker);
  assert.equal(sends('denied'), 1);
  assert.equal(sample(worker, 'consentflow_deny_reasons_total{reason="no_consent"}'), 1, worker);
  assert.equal(sample(worker, 'consentflow_smtp_replies_total{code="250"}'), N);
  assert.equal(sample(worker, 'consentflow_smtp_send_seconds_count'), N);
  // The view's explicit buckets (seconds sized for ms latencies), cumulative up to +Inf = the count.
  assert.equal(sample(worker, 'consentflow_smtp_send_seconds_bucket{le="30"}'), N);
  assert.equal(sample(worker, 'consentflow_smtp_send_seconds_bucket{le="+Inf"}'), N);
  assert.ok(sample(worker, 'consentflow_smtp_send_seconds_sum') > 0);
  assert.ok(sample(worker, 'consentflow_guard_state_load_seconds_count') >= N + 1);
  // OpenTelemetry's default boundaries (0, 5, 10, 25, …) have neither of these.
  assert.ok(Number.isFinite(sample(worker, 'consentflow_guard_state_load_seconds_bucket{le="0.0005"}')));
  assert.ok(Number.isFinite(sample(worker, 'consentflow_smtp_send_seconds_bucket{le="0.005"}')));
  assert.ok(sample(worker, 'consentflow_log_append_seconds_count{result="ok"}') >= 2 * N);
  assert.equal(
    sample(worker, 'consentflow_log_append_seconds_bucket{result="ok",le="+Inf"}'),
    sample(worker, 'consentflow_log_append_seconds_count{result="ok"}'),
  );
  for (const [name, type] of [
    ['consentflow_sends_total', 'counter'],
    ['consentflow_deny_reasons_total', 'counter'],
    ['consentflow_smtp_replies_total', 'counter'],
    ['consentflow_guard_state_load_seconds', 'histogram'],
    ['consentflow_log_append_seconds', 'histogram'],
    ['consentflow_smtp_send_seconds', 'histogram'],
  ])
    assert.match(worker, new RegExp(`^# TYPE ${name} ${type}$`, 'm'));
  assert.match(
    worker,
    /^target_info\{.*service_name="consentflow-worker"/m,
    'the OpenTelemetry resource names the process',
  );

  const app = await api.ready;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const apiText = await scrape(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/metrics`);
  promtoolCheck(apiText);
  assert.equal(sample(apiText, 'consentflow_dsr_open{type="erase"}'), 1);
  assert.equal(sample(apiText, 'consentflow_dsr_overdue{type="erase"}'), 1);
  assert.equal(sample(apiText, 'consentflow_dsr_open{type="access"}'), 0);
  assert.match(apiText, /^# TYPE consentflow_dsr_open gauge$/m);
  assert.match(apiText, /^target_info\{.*service_name="consentflow-api"/m);

  const runtime = await scrape(`http://${temporalMetrics}/metrics`);
  promtoolCheck(runtime);
  assert.match(runtime, /^temporal_\w+/m, 'the SDK runtime reports its own metrics');

  for (const text of [worker, apiText, runtime]) {
    assert.doesNotMatch(
      text,
      new RegExp([...addresses.map((a) => a.replace(/[.]/g, '\\.')), ...allowed, denied, 'Mo\\b'].join('|')),
      'no address, name or subject ref in any label',
    );
  }
});
