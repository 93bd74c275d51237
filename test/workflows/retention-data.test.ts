import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ulid } from 'ulid';
import type { RetentionSummary } from '../../activities/retention.js';
import { rebuild } from '../../domain/consent-state.js';
import { decide, type GuardRequest } from '../../domain/guard.js';
import type { SubjectRef } from '../../domain/ids.js';
import { ConsentRetentionStore } from '../../infra/redis/consent-retention.js';
import { policy } from '../../policy/index.js';
import { consentEvent, useEngine, type SeedConsent } from '../helpers/engine.js';
import { testRedis, uniqueId } from '../helpers/services.js';

const engine = useEngine();
const DAY = 86_400_000;
const r = policy.retention;

async function run(asOf: Date): Promise<RetentionSummary> {
  const h = await engine.client.workflow.start('retention', {
    taskQueue: engine.taskQueue,
    workflowId: `retention-${ulid()}`,
    args: [{ v: 1, asOf: asOf.toISOString() }],
  });
  return (await h.result()) as RetentionSummary;
}

async function retentionEntries(cls: string) {
  const out = [];
  for await (const e of engine.services.log.query({ kind: 'operator' }))
    if (e.stepId === 'retention' && e.result?.includes(` removed=${cls} `)) out.push(e);
  return out;
}

const requests = (ref: SubjectRef): GuardRequest[] => [
  {
    campaignId: 'c',
    stepId: 'send-1',
    subjectRef: ref,
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    processor: 'smtp-relay',
    templateId: 't',
    fields: ['email'],
  },
  {
    campaignId: 'c',
    stepId: 'send-1',
    subjectRef: ref,
    purpose: 'marketing.email.promotions',
    channel: 'email',
    processor: 'smtp-relay',
    templateId: 't',
    fields: ['email'],
  },
];

test('consent events past retention go, the guard decides the same for every subject, and withdrawals inside retention stay', async () => {
  const now = new Date();
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  const n = { purpose: 'marketing.email.newsletter' };
  const p = { purpose: 'marketing.email.promotions' };
  const histories: Array<Array<[SeedConsent, number]>> = [
    // granted, withdrawn and granted again long ago, recently active elsewhere: the first two are past retention
    [
      [n, r.consentEventsDays + 400],
      [{ ...n, type: 'withdrawn' }, r.consentEventsDays + 300],
      [n, r.consentEventsDays + 200],
      [p, 20],
    ],
    // a grant withdrawn recently: both stay, the withdrawal is evidence and the current answer
    [
      [n, r.consentEventsDays + 300],
      [{ ...n, type: 'withdrawn' }, 100],
    ],
    // a grant withdrawn long ago goes; the withdrawal, still the latest answer, stays, so the guard keeps saying consent_withdrawn
    [
      [p, r.consentEventsDays + 500],
      [{ ...p, type: 'withdrawn' }, r.consentEventsDays + 400],
      [n, 10],
    ],
  ];
  const refs: SubjectRef[] = [];
  for (const h of histories) {
    const ref = (await engine.seed(uniqueId('ret-c'), { email: `${uniqueId('c')}@example.org` }, [])) as SubjectRef;
    for (const [c, days] of h)
      await engine.services.consent.append({
        ...consentEvent(ref, c),
        id: ulid(ago(days).getTime()),
        occurredAt: ago(days).toISOString(),
      });
    refs.push(ref);
  }
  const before = await engine.services.consent.loadGuardStates(refs);
  const decisionsBefore = refs.map((ref, i) =>
    requests(ref).map((q) => decide(q, before[i]!, engine.services.policy, now)),
  );

  const summary = await run(now);
  assert.equal(
    summary.consentEvents.removed,
    3,
    "the first subject's two superseded events and the third's withdrawn grant went",
  );
  const histories2 = await Promise.all(refs.map((ref) => engine.services.consent.events(ref)));
  assert.deepEqual(
    histories2.map((h) => h.length),
    [2, 2, 2],
  );
  assert.ok(
    histories2[2]!.some((e) => e.type === 'withdrawn'),
    'an old withdrawal that is still the current answer is kept',
  );
  assert.ok(
    histories2[1]!.some((e) => e.type === 'withdrawn'),
    'a withdrawal inside retention is kept as evidence',
  );

  const after = await engine.services.consent.loadGuardStates(refs);
  for (const [i, ref] of refs.entries()) {
    assert.equal(
      (await engine.services.consent.rebuildProjection(ref)).matches,
      true,
      'the remaining events still rebuild the stored projection',
    );
    const rebuilt = { ...after[i]!, consent: rebuild(histories2[i]!) };
    assert.deepEqual(
      requests(ref).map((q) => decide(q, after[i]!, engine.services.policy, now)),
      decisionsBefore[i],
      'the guard decides the same',
    );
    assert.deepEqual(
      requests(ref).map((q) => decide(q, rebuilt, engine.services.policy, now)),
      decisionsBefore[i],
      'and so it would from the remaining events',
    );
  }
  assert.deepEqual(
    decisionsBefore[2]!.map((d) => d.outcome === 'deny' && d.reasons.includes('consent_withdrawn')),
    [false, true],
  );
  const logged = (await retentionEntries('consent_events')).filter((e) => e.subjectRef === refs[0]);
  assert.equal(logged.length, 1);
  assert.match(logged[0]!.result ?? '', / n=2 from=\S+ to=\S+ reason=superseded_older_than_1825d/);
});

test('the store refuses to remove a current answer, whatever the caller asks', async () => {
  const ref = (await engine.seed(uniqueId('ret-x'), { email: `${uniqueId('x')}@example.org` }, [
    { purpose: 'marketing.email.newsletter' },
  ])) as SubjectRef;
  const store = new ConsentRetentionStore(testRedis().redis, engine.services.keys);
  const history = await store.history(ref);
  await assert.rejects(store.remove(ref, history), /current answer/);
  assert.equal((await engine.services.consent.events(ref)).length, 1);
});

test('send-ledger records past retention go unless their workflow runs or their run is still starting', async () => {
  const old = new Date(Date.now() - (r.sendLedgerDays + 5) * DAY).toISOString();
  const ref = (await engine.seed(uniqueId('ret-l'), { email: `${uniqueId('l')}@example.org` }, [])) as SubjectRef;
  const rec = (runId: string | undefined, at: string) => ({
    ...(runId ? { runId } : {}),
    state: 'committed' as const,
    at,
    decisionId: ulid(),
    decisions: 1,
    reasons: [],
    logged: true,
    deferrals: 0,
    sentBefore: false,
  });
  const running = `journey:ret-${uniqueId('wf')}`;
  // A workflow no worker polls stays RUNNING: its records are in use however old.
  const handle = await engine.client.workflow.start('retention', {
    taskQueue: uniqueId('idle'),
    workflowId: running,
    args: [{ v: 1 }],
  });
  const starting = ulid();
  await engine.services.runs.register({
    runId: starting,
    campaignId: 'ret-camp',
    kind: 'broadcast',
    workflowId: 'campaign:ret-camp',
    startedAt: old,
    sendSteps: ['send-1'],
    status: 'snapshotting',
  });
  const scopes = {
    done: `campaign:gone-${uniqueId('c')}:send-1`,
    running: `${running}:send-1`,
    starting: `campaign:ret-camp:send-1`,
    fresh: `campaign:fresh-${uniqueId('c')}:send-1`,
  };
  await engine.services.ledger.put(scopes.done, [[ref, rec(ulid(), old)]]);
  await engine.services.ledger.put(scopes.running, [[ref, rec(undefined, old)]]);
  await engine.services.ledger.put(scopes.starting, [[ref, rec(starting, old)]]);
  await engine.services.ledger.put(scopes.fresh, [[ref, rec(ulid(), new Date().toISOString())]]);
  try {
    const summary = await run(new Date());
    assert.equal(summary.sendLedger.removed, 1);
    assert.equal(summary.sendLedger.keptInUse, 2);
    const left = await engine.services.ledger.lookup(Object.values(scopes).map((scope) => ({ ref, scope })));
    assert.deepEqual(
      left.map((x) => x !== undefined),
      [false, true, true, true],
    );
    assert.equal((await retentionEntries('send_ledger')).filter((e) => / n=1 /.test(e.result ?? '')).length >= 1, true);
  } finally {
    await handle.terminate('test over');
  }
});

test('a run that ended before the send-ledger retention loses its member state, logged once; its record stays', async () => {
  const runs = engine.services.runs;
  const old = new Date(Date.now() - (r.sendLedgerDays + 5) * DAY).toISOString();
  const refs: SubjectRef[] = [];
  for (const k of [1, 2, 3])
    refs.push((await engine.seed(uniqueId(`ret-r${k}`), { email: `r${k}@example.org` }, [])) as SubjectRef);
  const running = `campaign:ret-${uniqueId('wf')}`;
  // A workflow no worker polls stays RUNNING: its run is in use however long ago it started.
  const handle = await engine.client.workflow.start('retention', {
    taskQueue: uniqueId('idle'),
    workflowId: running,
    args: [{ v: 1 }],
  });
  const made = async (finishedAt: string, workflowId = `campaign:gone-${uniqueId('c')}`): Promise<string> => {
    const runId = ulid();
    await runs.register({
      runId,
      campaignId: uniqueId('ret-run'),
      kind: 'broadcast',
      workflowId,
      startedAt: old,
      sendSteps: ['send-1'],
      status: 'snapshotting',
    });
    await runs.addMembers(runId, refs);
    await runs.seal(runId);
    await runs.defer(runId, [{ ref: refs[0]!, dueAt: 1 }]);
    await runs.journeys.setPaused(runId, true);
    await runs.update(runId, { status: 'finished', finishedAt, summaryEntryId: ulid(), summaryResult: 'audience=3' });
    return runId;
  };
  const ended = await made(old);
  const recent = await made(new Date().toISOString());
  const inUse = await made(old, running);
  const members = async (runId: string) => {
    let n = 0;
    for await (const page of runs.pages(runId)) n += page.length;
    return n;
  };
  try {
    const summary = await run(new Date());
    assert.ok(summary.runStates.removed >= 1 && summary.runStates.keptInUse >= 1, JSON.stringify(summary.runStates));
    assert.deepEqual(
      [await members(ended), (await runs.waiting(ended)).count, await runs.journeys.state(ended)],
      [0, 0, 'running'],
      'audience, deferred set and flag are gone',
    );
    const kept = (await runs.get(ended))!;
    assert.ok(kept.stateRemovedAt !== undefined);
    assert.deepEqual([kept.audienceSize, kept.summaryResult], [3, 'audience=3'], 'the record keeps its counts');
    assert.deepEqual(
      [await members(recent), await members(inUse)],
      [3, 3],
      'a recent run and a running one keep theirs',
    );
    const logged = () =>
      retentionEntries('run_state').then((es) => es.filter((e) => e.result?.includes(`run_state=${ended} n=3 `)));
    assert.equal((await logged()).length, 1);
    // Another run removes nothing twice and logs nothing again.
    await run(new Date());
    assert.equal((await logged()).length, 1);
  } finally {
    await handle.terminate('test over');
  }
});

test('retention seals the log and removes segments past retention, and the chain still verifies from the kept hashes', async () => {
  const asOf = new Date(Date.now() + (r.logSegmentsDays + 1) * DAY);
  const summary = await run(asOf);
  assert.ok(summary.logSegments.segments >= 1, JSON.stringify(summary.logSegments));
  assert.deepEqual(summary.logSegments.refused, []);
  const report = await engine.services.log.verify();
  assert.equal(report.ok, true, JSON.stringify(report.breaks));
  assert.equal(
    report.removed.reduce((a, x) => a + x.count, 0),
    summary.logSegments.entries,
  );
  assert.ok(
    report.removed.every((x) => x.firstSeq === 1),
    'each chain lost a prefix',
  );
  const logged = await retentionEntries('log_segment');
  assert.equal(
    logged.reduce((a, e) => a + Number(/ n=(\d+)/.exec(e.result ?? '')?.[1]), 0),
    summary.logSegments.entries,
    'each removal was logged with its entry count',
  );
});
