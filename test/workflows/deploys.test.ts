import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { journeyWorkflowId } from '../../domain/run.js';
import { deployAndStart } from '../../infra/bundles/start-deployed.js';
import { campaignWorkflowId } from '../../infra/temporal/campaign-runs.js';
import type { Workspace } from '../../infra/workspace/load.js';
import type { JourneyState } from '../../workflows/signals.js';
import { deployWorkspace } from '../helpers/deploy-workspace.js';
import { eventually, useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

// The worker is started once with the example workspace; everything below is deployed while it runs.
const engine = useEngine();
const dw = deployWorkspace();

async function start(ws: Workspace, audience: Parameters<typeof deployAndStart>[4]) {
  assert.ok(ws.policy.ok);
  const r = await deployAndStart(
    { client: engine.client, services: engine.services, taskQueue: engine.taskQueue },
    ws,
    ws.policy.value,
    ws.campaigns[dw.campaignId]!,
    audience,
  );
  assert.ok(r.ok, JSON.stringify(r));
  return r;
}

const subjects = async (address: string) =>
  Promise.all(
    engine.sink.received
      .filter((m) => m.envelopeTo.includes(address))
      .map(async (m) => (await simpleParser(readFileSync(m.file))).subject ?? ''),
  );

async function mailSubjects(address: string, n: number): Promise<string[]> {
  return eventually(
    async () => {
      const s = await subjects(address);
      return s.length >= n ? s : undefined;
    },
    30_000,
    `${n} mail(s) to ${address}`,
  );
}

async function decisions(ref: string) {
  const out = [];
  for await (const e of engine.services.log.query({ subjectRef: ref, kind: 'decision' })) out.push(e);
  return out;
}

const click = (ref: string) =>
  engine.client.workflow
    .getHandle(journeyWorkflowId(dw.campaignId, ref))
    .signal('engagement', { v: 1, event: 'clicked' });
const finished = async (ref: string) =>
  (await engine.client.workflow.getHandle(journeyWorkflowId(dw.campaignId, ref)).result()) as JourneyState;

test('a new segment and changed templates reach the running worker; a running journey keeps its bundle while a new start uses the new one', async () => {
  const a = `${uniqueId('ann')}@example.org`;
  const refA = await engine.seed(uniqueId('s'), { email: a, first_name: 'Dripper' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  await engine.seed(uniqueId('s'), { email: `${uniqueId('other')}@example.org`, first_name: 'Other' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  dw.setSubject('welcome-1', 'First v1 for {{first_name}}');
  dw.setSubject('welcome-2', 'Second v1');
  // The segment exists only in this workspace: a worker serving its own content would fail the run (segment unknown).
  const v1 = await start(await dw.open(), {});
  await engine.client.workflow.getHandle(campaignWorkflowId(dw.campaignId)).result();
  assert.deepEqual(await mailSubjects(a, 1), ['First v1 for Dripper']);

  dw.setSubject('welcome-1', 'First v2 for {{first_name}}');
  dw.setSubject('welcome-2', 'Second v2');
  const b = `${uniqueId('bea')}@example.org`;
  const refB = await engine.seed(uniqueId('s'), { email: b, first_name: 'Dripper' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const v2 = await start(await dw.open(), {});
  assert.notEqual(v2.bundle, v1.bundle);
  await engine.client.workflow.getHandle(campaignWorkflowId(dw.campaignId)).result();
  assert.deepEqual(await mailSubjects(b, 1), ['First v2 for Dripper'], 'the new start renders the new templates');
  assert.ok(v2.start.kind === 'run');

  await click(refA);
  await click(refB);
  assert.equal((await finished(refA)).status, 'completed');
  assert.equal((await finished(refB)).status, 'completed');
  assert.deepEqual(
    (await mailSubjects(a, 2)).sort(),
    ['First v1 for Dripper', 'Second v1'],
    'the running journey kept the bundle it started with',
  );
  assert.deepEqual((await mailSubjects(b, 2)).sort(), ['First v2 for Dripper', 'Second v2']);
  assert.deepEqual(
    (await decisions(refA)).map((e) => e.campaignVersion),
    [v1.bundle, v1.bundle],
  );
  assert.deepEqual(
    (await decisions(refB)).map((e) => e.campaignVersion),
    [v2.bundle, v2.bundle],
  );
  assert.equal(
    engine.sink.received.filter((m) => m.envelopeTo.some((t) => t.includes('other-'))).length,
    0,
    'only the segment was mailed',
  );
});

test('a policy deploy reaches the running worker: the guard applies it at the next send and the decision records its version', async () => {
  const c = `${uniqueId('cal')}@example.org`;
  const refC = await engine.seed(uniqueId('s'), { email: c, first_name: 'Cal' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  await engine.services.consent.setPersonalisation(refC, 'off');
  const before = await start(await dw.open(), { subjectRefs: [refC] });
  assert.deepEqual(
    await mailSubjects(c, 1),
    ['First v2 for Cal'],
    'a purpose that is not personalised ignores the personalisation choice',
  );

  // PIPL 24: once the newsletter counts as personalised, someone who turned personalisation off gets no more of it.
  dw.setNewsletterPersonalised(true);
  const after = await start(await dw.open(), { subjectRefs: [] });
  assert.notEqual(after.policyVersion, before.policyVersion);
  await click(refC);
  const state = await finished(refC);
  assert.deepEqual(
    state.history.filter((h) => h.type === 'send').map((h) => [h.outcome, h.reasons]),
    [
      ['sent', []],
      ['denied', ['personalisation_off']],
    ],
  );
  assert.deepEqual(
    (await decisions(refC)).map((e) => [e.outcome, e.policyVersion]),
    [
      ['allow', before.policyVersion],
      ['deny', after.policyVersion],
    ],
  );
  assert.equal((await subjects(c)).length, 1);
  dw.setNewsletterPersonalised(false);
  await start(await dw.open(), { subjectRefs: [] });
});
