import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { defineCampaign } from '../../domain/campaign.js';
import { alertSignature, alertSigningKey } from '../../infra/alerts/webhook.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import { campaignMonitorWorkflowId } from '../../infra/temporal/campaign-monitor-start.js';
import { controlCampaign } from '../../infra/temporal/campaign-control.js';
import type { CampaignProgress, JourneyState } from '../../workflows/signals.js';
import { journeyWorkflowId } from '../../domain/run.js';
import { campaignState } from '../../infra/temporal/campaign-state.js';
import type { CampaignMonitorResult } from '../../workflows/campaign-monitor.js';
import { startAlertReceiver } from '../helpers/alert-receiver.js';
import { eventually, useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';
import { bouncingAudience, campaignEntries } from '../helpers/bouncing-audience.js';

const receiver = await startAlertReceiver({ failFirst: 1 });
const engine = useEngine({ env: { CONSENTFLOW_ALERT_WEBHOOK_URL: receiver.url } });
after(() => receiver.stop());

const PAGE = 5;

const entries = (campaignId: string) => campaignEntries(engine, campaignId);

test('a broadcast whose audience hard-bounces above the threshold is paused within one window, its sends stop, and a person resumes it', async () => {
  // The first three pages bounce; the rest are held at the sink, so the run stands still until the test releases it.
  const { members, rest, delivered, release } = await bouncingAudience(engine, 'hb');

  const c = defineCampaign({
    id: uniqueId('bounce'),
    name: 'Bouncing promo',
    description: 'an audience that hard-bounces',
    purpose: 'marketing.email.promotions',
    audience: { segment: 'loyal-members' },
    steps: [
      { id: 'send-promo', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
    ],
    options: {
      kind: 'broadcast',
      holdoutPercent: 0,
      monitor: { window: '1m', minSample: 10, maxRates: { hard_bounce: 0.2 } },
    },
  });
  const res = await startCampaign(
    engine.client,
    c,
    { segment: 'loyal-members' },
    {
      taskQueue: engine.taskQueue,
      campaignVersion: 'v-test',
      pageSize: PAGE,
      // One page in flight, so what may still finish after the pause is one page.
      chunksInFlight: 1,
      runs: engine.services.runs,
      monitor: { tickMs: 200 },
    },
  );
  assert.equal(res.kind, 'run');
  const runId = res.runId;
  const handle = engine.client.workflow.getHandle(`campaign:${c.id}`);
  await eventually(
    async () => ((await handle.query<CampaignProgress>('progress')).status === 'paused' ? true : undefined),
    60_000,
    'the monitor to pause the campaign',
  );
  release();
  // Only the page in flight at the pause may finish; then the run waits at its gate with nothing in flight.
  const paused = await eventually(
    async () => {
      const [p, d] = await Promise.all([handle.query<CampaignProgress>('progress'), handle.describe()]);
      return p.status === 'paused' && (d.raw.pendingActivities ?? []).length === 0 ? p : undefined;
    },
    60_000,
    'the page in flight to finish',
  );
  const sentWhilePaused = delivered();
  assert.ok(sentWhilePaused <= PAGE, `at most the page in flight is sent after the pause (${sentWhilePaused})`);
  assert.ok(paused.handled < members.length, 'the run stopped before the end of its audience');

  const log = await entries(c.id);
  const pause = log.find((e) => e.kind === 'operator' && e.stepId === 'campaign_paused_by_monitor');
  assert.ok(pause, 'the pause is logged');
  assert.equal(pause.runId, runId);
  assert.match(pause.result ?? '', /^actor=monitor window=1m .*hard_bounce=\d+\/\d+\(/);
  assert.ok(pause.reasons.includes('hard_bounce'));
  const firstBounce = log.find((e) => e.kind === 'delivery' && e.reasons.includes('hard_bounce'));
  assert.ok(
    firstBounce && Date.parse(pause.at) - Date.parse(firstBounce.at) < 60_000,
    'paused within one window of the first bounce',
  );
  assert.match(await engine.metrics.scrape(), new RegExp(`consentflow_monitor_pauses_total\\{campaign="${c.id}"\\} 1`));

  // The alert: a webhook that fails once and is retried, signed; a mail to the policy's compliance contact; a log entry.
  const key = `monitor_pause:${c.id}:${runId}:1`;
  const posts = await eventually(
    () => (receiver.of(key).some((p) => p.status === 200) ? receiver.of(key) : undefined),
    60_000,
    'the alert webhook',
  );
  assert.equal(posts[0]!.status, 503);
  const ok = posts.find((p) => p.status === 200)!;
  assert.equal(ok.signature, alertSignature(alertSigningKey(engine.config.secrets.tokenKey), ok.body));
  const body = JSON.parse(ok.body) as { text: string; kind: string; campaignId: string };
  assert.equal(body.kind, 'monitor_pause');
  assert.match(body.text, new RegExp(`paused campaign ${c.id} .*hard_bounce`));
  const mail = await eventually(
    () =>
      engine.sink.received.find((m) => m.envelopeTo.includes('compliance@shop.example') && m.messageId?.includes(c.id)),
    30_000,
    'the alert mail',
  );
  assert.ok(mail);
  await eventually(
    async () =>
      (await entries(c.id)).some((e) => e.stepId === 'alert_raised' && (e.result ?? '').includes(key))
        ? true
        : undefined,
    30_000,
    'the alert log entry',
  );

  // A person resumes: the figures that caused the pause are not judged again, and the run finishes.
  assert.equal(await controlCampaign(engine.client, engine.services.runs, c.id, 'resume'), 'signalled');
  const done = (await handle.result()) as CampaignProgress;
  assert.equal(done.status, 'completed');
  assert.equal(delivered(), rest.size);
  const monitor = (await engine.client.workflow
    .getHandle(campaignMonitorWorkflowId(c.id, runId))
    .result()) as CampaignMonitorResult;
  assert.equal(monitor.pauses, 1);
});

test('pause holds a journey campaign before its next send, its monitor sees it paused, and resume lets it send', async () => {
  const address = `${uniqueId('held')}@example.org`;
  const ref = await engine.seed(uniqueId('held'), { email: address, first_name: 'Ada' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const c = defineCampaign({
    id: uniqueId('held'),
    name: 'Held journey',
    description: 'a journey that waits for a click, then mails',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'loyal-members' },
    steps: [
      {
        id: 'wait-click',
        type: 'branch',
        condition: { kind: 'event', event: 'clicked', within: '1d' },
        then: 'send-1',
        otherwise: 'done',
      },
      { id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' },
      { id: 'done', type: 'exit' },
    ],
  });
  const res = await startCampaign(
    engine.client,
    c,
    { subjectRefs: [ref] },
    { taskQueue: engine.taskQueue, campaignVersion: 'v-test', runs: engine.services.runs, monitor: { tickMs: 200 } },
  );
  assert.equal(res.kind, 'journeys');
  const journey = engine.client.workflow.getHandle(journeyWorkflowId(c.id, ref));
  assert.equal(await controlCampaign(engine.client, engine.services.runs, c.id, 'pause'), 'signalled');
  // The monitor reads the journeys' state through visibility, which lists a journey shortly after it starts.
  await eventually(
    async () => ((await campaignState(engine.client, c.id)) === 'paused' ? true : undefined),
    30_000,
    'the monitor to see the campaign paused',
  );
  await journey.signal('engagement', { v: 1, event: 'clicked' });
  const held = await eventually(
    async () => {
      const s = await journey.query<JourneyState>('journeyState');
      return s.currentStep === 'send-1' && s.paused ? s : undefined;
    },
    30_000,
    'the journey to reach its send step',
  );
  assert.deepEqual(
    held.history.map((h) => h.stepId),
    ['wait-click'],
    'the send has not run',
  );
  assert.equal(engine.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 0);
  assert.equal(await controlCampaign(engine.client, engine.services.runs, c.id, 'resume'), 'signalled');
  const done = (await journey.result()) as JourneyState;
  assert.deepEqual(
    done.history.map((h) => [h.stepId, h.outcome]),
    [
      ['wait-click', 'then'],
      ['send-1', 'sent'],
      ['done', 'exit'],
    ],
  );
  assert.equal(engine.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 1);
  const monitor = (await engine.client.workflow
    .getHandle(campaignMonitorWorkflowId(c.id, res.runId))
    .result()) as CampaignMonitorResult;
  assert.equal(monitor.pauses, 0, "an operator pause is not the monitor's");
});
