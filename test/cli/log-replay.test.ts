import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerLogCommands } from '../../cli/log.js';
import type { LogEntry } from '../../domain/decision-log.js';
import { journeyWorkflowId } from '../../domain/run.js';
import { deployAndStart } from '../../infra/bundles/start-deployed.js';
import { campaignWorkflowId, type Audience } from '../../infra/temporal/campaign-runs.js';
import type { Workspace } from '../../infra/workspace/load.js';
import type { JourneyState } from '../../workflows/signals.js';
import { runCli, testCliContext } from '../helpers/cli-harness.js';
import { deployWorkspace } from '../helpers/deploy-workspace.js';
import { consentEvent, eventually, useEngine } from '../helpers/engine.js';
import { exampleWorkspace } from '../helpers/example-workspace.js';
import { testRedis, uniqueId } from '../helpers/services.js';

const engine = useEngine();
const { redis } = testRedis();
const dw = deployWorkspace();
// The CLI in process, on the engine's Redis prefix and keys, so it reads the log the worker wrote.
const ctx = {
  ...testCliContext(redis, engine.config.redisKeyPrefix),
  config: () => engine.config,
  services: () => Promise.resolve(engine.services),
};
const replay = (...args: string[]) => runCli(ctx, [registerLogCommands], ['log', 'replay', ...args]);

async function start(ws: Workspace, campaignId: string, audience: Audience, id = campaignId) {
  assert.ok(ws.policy.ok);
  const c = ws.campaigns[campaignId]!;
  // No control group: which subject a holdout keeps out depends on the (random) campaign id.
  const campaign = { ...c, id, options: { ...c.options, holdoutPercent: 0 } };
  const r = await deployAndStart(
    { client: engine.client, services: engine.services, taskQueue: engine.taskQueue },
    ws,
    ws.policy.value,
    campaign,
    audience,
  );
  assert.ok(r.ok, JSON.stringify(r));
  return r;
}

async function decisionsOf(ref: string): Promise<LogEntry[]> {
  const out = [];
  for await (const e of engine.services.log.query({ subjectRef: ref, kind: 'decision' })) out.push(e);
  return out;
}

test('replaying a period with a broadcast and a journey with a withdrawal finds 0 mismatches; a tampered consent history is reported and exits 1', async () => {
  const since = new Date(Date.now() - 1000).toISOString();
  // The broadcast: two gold members with promotions consent, one silver member outside the segment.
  const promo = { purpose: 'marketing.email.promotions' };
  const gold = await Promise.all(
    ['g1', 'g2'].map((n) =>
      engine.seed(
        uniqueId(n),
        { email: `${uniqueId(n)}@example.org`, first_name: 'Gil', loyalty_tier: 'gold', preferred_store: 'Leeds' },
        [promo],
      ),
    ),
  );
  await engine.seed(
    uniqueId('s'),
    { email: `${uniqueId('s')}@example.org`, first_name: 'Sam', loyalty_tier: 'silver', preferred_store: 'York' },
    [promo],
  );
  // Its own id: workflow ids are global to the namespace other test files share.
  const promoId = uniqueId('winter');
  await start(await exampleWorkspace(), 'winter-promo', {}, promoId);
  await engine.client.workflow.getHandle(campaignWorkflowId(promoId)).result();

  // The journey: the first mail is allowed, then the subject withdraws (no signal: the journey goes on) and the
  // second send is denied with consent_withdrawn, judged on the events as they stood at each decision.
  const ref = await engine.seed(uniqueId('w'), { email: `${uniqueId('w')}@example.org`, first_name: 'Dripper' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  await start(await dw.open(), dw.campaignId, { subjectRefs: [ref] });
  const handle = engine.client.workflow.getHandle(journeyWorkflowId(dw.campaignId, ref));
  // Withdraw once the first send step has returned (the journey waits at its branch), not while it is reserved.
  await eventually(
    async () =>
      (await handle.query<JourneyState>('journeyState')).history.some((h) => h.stepId === 'first') ? true : undefined,
    30_000,
    'the first send',
  );
  const withdrawal = consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' });
  await engine.services.consent.append(withdrawal);
  await handle.signal('engagement', { v: 1, event: 'clicked' });
  assert.equal(((await handle.result()) as JourneyState).status, 'completed');
  const journey = await decisionsOf(ref);
  assert.deepEqual(
    journey.map((e) => [e.outcome, e.reasons]),
    [
      ['allow', []],
      ['deny', ['consent_withdrawn']],
    ],
  );
  assert.deepEqual(
    (await Promise.all(gold.map(decisionsOf))).map((d) => d.map((e) => e.outcome)),
    [['allow'], ['allow']],
  );

  const until = new Date(Date.now() + 1000).toISOString();
  const clean = await replay('--since', since, '--until', until, '--json');
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  const report = JSON.parse(clean.stdout) as {
    replayed: number;
    matched: number;
    mismatched: number;
    findings: unknown[];
  };
  assert.ok(report.replayed >= 4, `replayed ${report.replayed}`);
  assert.equal(report.mismatched, 0, JSON.stringify(report.findings));
  assert.equal(report.matched, report.replayed);
  const one = await replay(journey[1]!.id);
  assert.equal(one.code, 0);
  assert.match(one.stdout, /^replayed 1 decision\(s\): 1 match, 0 mismatch/);

  // Remove the withdrawal from the subject's consent history, as someone covering up a send would.
  const history = engine.services.keys.consentEvents(ref);
  const withdrawals = (await redis.lrange(history, 0, -1)).filter((item) => item.includes('"withdrawn"'));
  assert.equal(withdrawals.length, 1);
  await redis.lrem(history, 1, withdrawals[0]!);
  const tampered = await replay('--since', since, '--until', until);
  assert.equal(tampered.code, 1);
  assert.match(tampered.stdout, /1 mismatch/);
  assert.match(
    tampered.stdout,
    new RegExp(`MISMATCH ${journey[1]!.id} ${ref} .*logged deny \\[consent_withdrawn\\], replayed allow \\[\\]`),
  );
  const tamperedJson = JSON.parse((await replay(journey[1]!.id, '--json')).stdout) as {
    findings: { entryId: string; notes: string[] }[];
  };
  assert.deepEqual(
    tamperedJson.findings.map((f) => f.entryId),
    [journey[1]!.id],
  );
  assert.ok(
    tamperedJson.findings[0]!.notes.some((n) => n.includes(`logged ${withdrawal.id}`)),
    'it names the consent event the decision relied on',
  );

  const operator = [];
  for await (const e of engine.services.log.query({ kind: 'operator' }))
    if (e.stepId === 'log_replayed')
      operator.push(/mismatched=0 /.test(e.result ?? '') ? 'replay_clean' : 'replay_mismatch');
  assert.deepEqual(
    operator,
    ['replay_clean', 'replay_clean', 'replay_mismatch', 'replay_mismatch'],
    'each replay is an operator entry',
  );
});

test('log replay refuses bad input with a clear message and exit 2', async () => {
  assert.match((await replay()).stderr, /give an entry id, or a period/);
  assert.match((await replay('01JZ1QYXMA1MQZDVXVY7HQE6MW', '--since', '2025-01-01')).stderr, /not both/);
  assert.match((await replay('not-an-id')).stderr, /is not a log entry id/);
  const missing = await replay('01JZ1QYXMA1MQZDVXVY7HQE6MW');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no decision entry 01JZ1QYXMA1MQZDVXVY7HQE6MW/);
  assert.match((await replay('--since', 'yesterday')).stderr, /--since "yesterday" is not a date/);
});
