import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { registerCampaignCommands } from '../../cli/campaign.js';
import { registerConsentCommands } from '../../cli/consent.js';
import { registerDsarCommands } from '../../cli/dsar.js';
import { registerLogCommands } from '../../cli/log.js';
import { registerReviewCommands } from '../../cli/review.js';
import type { ConsentEvent } from '../../domain/consent.js';
import type { LogEntry } from '../../domain/decision-log.js';
import { createServices } from '../../infra/compose.js';
import { redisKeys } from '../../infra/redis/keys.js';
import { campaignWorkflowId } from '../../infra/temporal/campaign-runs.js';
import { runCli, testCliContext } from '../helpers/cli-harness.js';
import { useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';
import { policy } from '../../policy/index.js';

// Every operator command against real Redis and Temporal: each leaves one operator entry with its actor and reason.
const engine = useEngine();
const redis = new Redis(process.env.CF_TEST_REDIS_URL!);
after(() => redis.quit().then(() => undefined));
const base = testCliContext(redis, engine.config.redisKeyPrefix);
const config = () => ({ ...engine.config, taskQueue: engine.taskQueue });
const ctx = {
  ...base,
  config,
  keys: () => redisKeys(engine.config.redisKeyPrefix),
  temporal: async () => engine.client,
  services: async () => createServices(config(), redis, policy),
};
const modules = [
  registerConsentCommands,
  registerLogCommands,
  registerCampaignCommands,
  registerDsarCommands,
  registerReviewCommands,
];
const cli = (...args: string[]) => runCli(ctx, modules, args);
const grant = (id: string) => [
  'consent',
  'grant',
  '--subject',
  id,
  '--purpose',
  'marketing.email.newsletter',
  '--channel',
  'email',
];

async function operatorEntries(): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of engine.services.log.query({ kind: 'operator' })) out.push(e);
  return out;
}
const lastOf = async (action: string) => (await operatorEntries()).filter((e) => e.stepId === action).at(-1);

test('a consent typed in by staff is recorded as method staff with the actor, and the log says why', async () => {
  const id = uniqueId('s');
  const r = await cli(...grant(id), '--actor', 'ops-bea', '--reason', 'phone call, ticket T-1', '--json');
  assert.equal(r.code, 0, r.stderr);
  const { event } = JSON.parse(r.stdout) as { event: ConsentEvent };
  assert.deepEqual([event.method, event.source], ['staff', 'staff:ops-bea']);
  const e = await lastOf('consent_recorded_by_staff');
  assert.equal(e?.subjectRef, event.subjectRef);
  assert.equal(e?.result, `actor=ops-bea reason="phone call, ticket T-1" type=granted event=${event.id}`);
  assert.deepEqual(
    [e?.purpose, e?.channel, e?.reasons],
    ['marketing.email.newsletter', 'email', ['consent_recorded_by_staff']],
  );
});

test("staff cannot record a consent that passes as the subject's own: --source, another --method and a grant without --reason are refused, nothing written", async () => {
  const id = uniqueId('s');
  const before = (await operatorEntries()).length;
  const cases: [string[], RegExp][] = [
    [['--source', 'signup-form', '--reason', 'ticket T-2'], /--source is refused: .*staff:<actor>/],
    [['--method', 'form', '--reason', 'ticket T-2'], /--method "form" is refused: .*method staff/],
    [[], /--reason "<why>" is required to record a grant on a subject's behalf/],
    [['--reason', 'mailed by ada@example.com'], /--reason must not contain an email address/],
  ];
  for (const [extra, message] of cases) {
    const r = await cli(...grant(id), ...extra);
    assert.equal(r.code, 2, extra.join(' '));
    assert.match(r.stderr, message);
  }
  const shown = JSON.parse((await cli('consent', 'show', '--subject', id, '--json')).stdout) as { history: unknown[] };
  assert.equal(shown.history.length, 0);
  assert.equal((await operatorEntries()).length, before);
});

test('a suppression lift needs a reason, only bounces and minor flags can be lifted by staff, and the lift is logged', async () => {
  const ref = await engine.seed(uniqueId('s'), { email: 'lift@example.com' });
  await engine.services.consent.suppress(ref, 'hard_bounce', 'smtp:550', { channel: 'email' });
  await engine.services.consent.suppress(ref, 'unsubscribe_all', 'one-click');
  const lift = ['consent', 'lift-suppression', '--ref', ref, '--channel', 'email'];
  assert.match(
    (await cli(...lift, '--kind', 'hard_bounce')).stderr,
    /--reason "<why>" is required to lift a suppression/,
  );
  const refused = await cli(...lift, '--kind', 'unsubscribe_all', '--reason', 'customer asked on the phone');
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /only the subject can undo it/);
  const ok = await cli(...lift, '--kind', 'hard_bounce', '--reason', 'mailbox fixed, ticket T-3');
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(
    (await engine.services.consent.suppressions(ref)).map((s) => s.kind),
    ['unsubscribe_all'],
  );
  const e = await lastOf('suppression_lifted');
  assert.deepEqual(
    [e?.subjectRef, e?.channel, e?.result],
    [ref, 'email', 'actor=test-operator reason="mailbox fixed, ticket T-3" kind=hard_bounce'],
  );
});

test("log reads are logged before they answer, and log query --actor lists one actor's operator entries", async () => {
  assert.equal(
    (await cli('log', 'query', '--kind', 'operator', '--as', 'auditor-cai', '--why', 'quarterly audit')).code,
    0,
  );
  const q = await lastOf('log_queried');
  assert.equal(q?.result, 'actor=auditor-cai reason="quarterly audit" q.kind=operator');
  assert.equal((await cli('log', 'verify', '--actor', 'auditor-cai')).code, 0);
  assert.match((await lastOf('log_verified'))?.result ?? '', /^actor=auditor-cai ok=true entries=\d+ breaks=0$/);
  const exported = await cli(
    'log',
    'export',
    '--format',
    'jsonl',
    '--actor',
    'auditor-cai',
    '--since',
    '2020-01-01',
    '--out',
    `${engine.config.dataDir}/${uniqueId('export')}.jsonl`,
  );
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(
    (await lastOf('log_exported'))?.result ?? '',
    /^actor=auditor-cai format=jsonl since=2020-01-01T00:00:00.000Z$/,
  );
  const mine = await cli('log', 'query', '--actor', 'auditor-cai', '--json', '--limit', '100');
  const entries = (JSON.parse(mine.stdout) as { entries: LogEntry[] }).entries;
  // The filtering query is itself recorded first, under its own reader (test-operator), so it is not listed.
  assert.deepEqual(
    entries.map((e) => e.stepId),
    ['log_queried', 'log_verified', 'log_exported'],
  );
  assert.equal((await lastOf('log_queried'))?.result, 'actor=test-operator q.actor=auditor-cai');
  assert.ok(
    (await operatorEntries()).some((e) => !e.result?.startsWith('actor=auditor-cai')),
    'other actors exist and were filtered out',
  );
  assert.match((await cli('log', 'query', '--actor', 'a@b.example')).stderr, /--actor "a@b.example" must be 1-64 of/);
});

test('outside dev a command without --actor or CONSENTFLOW_ACTOR fails naming both, and nothing is logged', async () => {
  const before = (await operatorEntries()).length;
  ctx.actorEnv.CONSENTFLOW_ACTOR = undefined;
  ctx.actorEnv.USER = 'someone';
  try {
    const r = await cli('log', 'query', '--kind', 'operator');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /pass --actor <name> or set CONSENTFLOW_ACTOR=<name>/);
    assert.equal((await cli(...grant(uniqueId('s')), '--reason', 'ticket T-4')).code, 2);
  } finally {
    ctx.actorEnv.CONSENTFLOW_ACTOR = 'test-operator';
  }
  assert.equal((await operatorEntries()).length, before);
});

test('campaign start, pause, resume and cancel are operator entries with actor and reason; the run gets each signal', async () => {
  const started = await cli(
    'campaign',
    'start',
    'welcome-series',
    '--subject',
    uniqueId('s'),
    '--actor',
    'mkt-dan',
    '--json',
  );
  assert.equal(started.code, 0, started.stderr);
  const s = await lastOf('campaign_started');
  assert.equal(await lastOf('policy_deployed'), undefined, 'the policy the worker registered is not deployed again');
  // A deploy under a changed policy stores a policy version never deployed before: a policy deploy, same actor.
  const base = await ctx.policy();
  const renamed = {
    ...ctx,
    policy: async () => ({ ...base, brand: { ...base.brand!, name: `${base.brand!.name} Outlet` } }),
  };
  const deployed = await runCli(
    renamed,
    [registerCampaignCommands],
    ['campaign', 'deploy', 'welcome-series', '--actor', 'mkt-dan'],
  );
  assert.equal(deployed.code, 0, deployed.stderr);
  assert.match((await lastOf('policy_deployed'))?.result ?? '', /^actor=mkt-dan policy=[0-9a-f]{64}$/);
  assert.deepEqual(
    [s?.campaignId, s?.result?.match(/^actor=mkt-dan run=\w+ bundle=\S+ enrolled=1$/) !== null],
    ['welcome-series', true],
  );
  // A broadcast no worker polls stays open, so the signals are never raced by the run finishing.
  const id = 'winter-promo';
  const handle = await engine.client.workflow.start('broadcast', {
    taskQueue: uniqueId('idle'),
    workflowId: campaignWorkflowId(id),
    args: [{ v: 1 }],
  });
  try {
    assert.match((await cli('campaign', 'pause', id)).stderr, /--reason "<why>" is required to pause a campaign/);
    for (const control of ['pause', 'resume', 'cancel']) {
      const r = await cli('campaign', control, id, '--actor', 'mkt-dan', '--reason', `incident INC-7 ${control}`);
      assert.equal(r.code, 0, r.stderr);
    }
    const entries = (await operatorEntries()).filter((e) => e.campaignId === id);
    assert.deepEqual(
      entries.map((e) => [e.stepId, e.result]),
      ['pause', 'resume', 'cancel'].map((c, i) => [
        ['campaign_paused', 'campaign_resumed', 'campaign_cancelled'][i],
        `actor=mkt-dan reason="incident INC-7 ${c}"`,
      ]),
    );
    const signals: string[] = [];
    for (const ev of (await handle.fetchHistory()).events ?? [])
      if (ev.workflowExecutionSignaledEventAttributes)
        signals.push(ev.workflowExecutionSignaledEventAttributes.signalName ?? '');
    assert.deepEqual(signals, ['pause', 'resume', 'cancel']);
  } finally {
    await handle.terminate('test done');
  }
  const none = await cli('campaign', 'cancel', 'reengagement', '--reason', 'nothing to cancel');
  assert.equal(none.code, 1);
  assert.ok(
    !(await operatorEntries()).some((e) => e.campaignId === 'reengagement'),
    'nothing happened, nothing is recorded',
  );
});

test('DSR intake and status reads name the actor; the review counts operator actions and staff consents per actor', async () => {
  const id = uniqueId('s');
  await engine.seed(id, { email: 'dsr@example.com' });
  const r = await cli(
    'dsar',
    'access',
    '--subject',
    id,
    '--actor',
    'dpo-eve',
    '--reason',
    'ticket DSR-9',
    '--wait',
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const requestId = (JSON.parse(r.stdout) as { requestId: string }).requestId;
  assert.equal(
    (await lastOf('dsr_received'))?.result,
    `actor=dpo-eve reason="ticket DSR-9" request=${requestId} type=access`,
  );
  assert.equal((await cli('dsar', 'status', requestId, '--actor', 'dpo-eve')).code, 0);
  assert.equal((await lastOf('dsr_outcome_read'))?.result, `actor=dpo-eve request=${requestId} status=completed`);
  await cli(...grant(uniqueId('s')), '--actor', 'ops-bea', '--reason', 'signed paper form, box 4');
  const review = await cli(
    'review',
    'run',
    '--since',
    new Date(Date.now() - 3_600_000).toISOString(),
    '--until',
    new Date(Date.now() + 1000).toISOString(),
    '--actor',
    'dpo-eve',
    '--json',
  );
  assert.ok(review.code === 0 || review.code === 1, review.stderr);
  const shown = await cli('review', 'show', '--latest', '--actor', 'dpo-eve', '--json');
  const report = (
    JSON.parse(shown.stdout) as {
      report: {
        operatorActions: {
          total: number;
          byActor: Record<string, Record<string, number>>;
          staffConsentsByActor: Record<string, number>;
        };
      };
    }
  ).report;
  assert.deepEqual(report.operatorActions.staffConsentsByActor, { 'ops-bea': 2 });
  assert.deepEqual(report.operatorActions.byActor['dpo-eve'], { dsr_outcome_read: 1, dsr_received: 1, review_run: 1 });
  assert.equal(report.operatorActions.byActor['mkt-dan']?.campaign_paused, 1);
  assert.equal(
    (await lastOf('report_read'))?.result,
    `actor=dpo-eve report=${(report as unknown as { id: string }).id}`,
  );
});
