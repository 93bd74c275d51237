import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { defineCampaign } from '../../domain/campaign.js';
import type { SubjectRef } from '../../domain/ids.js';
import { journeyWorkflowId } from '../../domain/run.js';
import { startReviewRun, reviewResult } from '../../infra/temporal/review-schedule.js';
import { startSubjectRequest, waitForSubjectRequest } from '../../infra/temporal/rights.js';
import { signalConsentChange } from '../../infra/temporal/journeys.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import type { JourneyState } from '../../workflows/signals.js';
import { consentEvent } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';
import { scenario, type Scenario } from './harness.js';
import { audit, promo, seedMembers, start, until } from './scenario-runs.js';

// The product on a real 3-master Redis Cluster (redis-server --cluster-enabled, redis-cli --cluster create): the same
// scenario runs on one server and on the cluster, and must give the same accounting with no MOVED or CROSSSLOT error.
const pseudonymKey = randomBytes(32).toString('base64');
const campaignId = uniqueId('cluster-promo');

interface Outcome {
  readonly outcomes: Record<string, number>;
  readonly bySubject: Map<string, string>;
  readonly mastersWithChains?: number;
}

async function masterOf(s: Scenario, key: string): Promise<string> {
  const slot = Number(await s.client.call('CLUSTER', 'KEYSLOT', key));
  const shards = (await s.client.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
  const owner = shards.find(([from, to]) => slot >= from && slot <= to);
  return `${owner?.[2][0]}:${owner?.[2][1]}`;
}

async function run(s: Scenario, cluster: boolean): Promise<Outcome> {
  // The same subject ids and pseudonym key in both runs give the same refs, so holdouts match too.
  const members = await seedMembers(s, 'cl', 300);
  const c = { ...promo(campaignId) };
  const runId = await start(s, c, { pageSize: 50 });
  await s.temporal.workflow.getHandle(`campaign:${c.id}`).result();
  const a = await audit(s, c.id, runId, members);
  const bySubject = new Map<string, string>();
  for await (const e of s.services.log.query({ campaignId: c.id }))
    if (e.runId === runId && e.kind !== 'run') bySubject.set(e.subjectRef, `${e.kind}:${e.outcome}`);

  // A journey with a withdrawal: the journey exits on the signal and the exit is logged.
  const ref = members.find((m) => m.inSegment)!.ref;
  const journey = defineCampaign({
    id: uniqueId('cluster-journey'),
    name: 'J',
    description: 'cluster journey',
    purpose: 'marketing.email.promotions',
    audience: { segment: 'loyal-members' },
    steps: [
      { id: 'first', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
      { id: 'pause', type: 'wait', duration: '1h' },
      { id: 'second', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
    ],
  });
  await startCampaign(
    s.temporal,
    journey,
    { subjectRefs: [ref] },
    { taskQueue: s.taskQueue, campaignVersion: 'cl', runs: s.services.runs },
  );
  await until(
    'the first journey email',
    async () =>
      (await s.services.ledger.lookup([{ ref, scope: `${journeyWorkflowId(journey.id, ref)}:first` }]))[0]?.outcome ===
      'sent',
  );
  await s.services.consent.append(consentEvent(ref, { purpose: 'marketing.email.promotions', type: 'withdrawn' }));
  await until(
    'the journey to see the withdrawal',
    async () =>
      (await signalConsentChange(s.temporal, ref, { v: 1, kind: 'withdrawn', purpose: 'marketing.email.promotions' })) >
      0,
  );
  const js = (await s.temporal.workflow.getHandle(journeyWorkflowId(journey.id, ref)).result()) as JourneyState;
  assert.deepEqual([js.status, js.exitReason], ['exited', 'consent_withdrawn']);

  // Subject rights: access, then erasure, on the same subject.
  const subject = members.find((m) => !m.inSegment)!.ref as SubjectRef;
  for (const type of ['access', 'erase'] as const) {
    const id = await startSubjectRequest(s.temporal, s.taskQueue, { type, subjectRef: subject, deadlineDays: 15 });
    const done = await waitForSubjectRequest(s.temporal, id);
    assert.equal(done.status, 'completed', `${type}: ${JSON.stringify(done)}`);
  }
  assert.equal(await s.services.subjects.isErased(subject), true);

  // The log: verified, sealed up to now, verified again; the review of the period passes.
  assert.equal((await s.services.log.verify()).ok, true);
  const sealed = await s.services.log.seal(new Date(Date.now() - 10));
  assert.ok(sealed.segments.length > 0 && sealed.trimmed > 0, JSON.stringify(sealed));
  assert.equal((await s.services.log.verify()).ok, true);
  const review = await reviewResult(
    await startReviewRun(s.temporal, s.taskQueue, {
      since: new Date(Date.now() - 3_600_000),
      until: new Date(Date.now() + 1000),
    }),
  );
  assert.equal(review.status, 'pass', JSON.stringify(review));

  let mastersWithChains: number | undefined;
  if (cluster) {
    const masters = new Set<string>();
    for (let p = 0; p < s.config.logPartitions; p++) masters.add(await masterOf(s, s.services.keys.logHead(p)));
    mastersWithChains = masters.size;
  }
  return { outcomes: a.reconciliation.outcomes, bySubject, mastersWithChains };
}

test('on a 3-master Redis Cluster a broadcast, a journey with a withdrawal, DSARs, log verify and seal and a review give the single-node results', async () => {
  const env = { CONSENTFLOW_PSEUDONYM_KEY: pseudonymKey };
  const single = await scenario(uniqueId('single'), { env });
  let one: Outcome;
  try {
    one = await run(single, false);
  } finally {
    await single.close();
  }
  const multi = await scenario(uniqueId('cluster'), { cluster: true, env });
  try {
    const errors: string[] = [];
    (multi.client as Redis).on('error', (e: Error) => void errors.push(e.message));
    const many = await run(multi, true);
    assert.deepEqual(many.outcomes, one.outcomes, 'the same accounting as on one server');
    assert.deepEqual([...many.bySubject].sort(), [...one.bySubject].sort(), 'the same outcome for every member');
    assert.equal(many.mastersWithChains, 3, 'decision-log chains are spread over all three masters');
    const surfaced = [...errors, ...multi.workerLog].filter((l) => /MOVED|CROSSSLOT|ASK /.test(l));
    assert.deepEqual(surfaced, [], 'no MOVED or CROSSSLOT reaches the product');
    console.log(
      `[fault] redis-cluster ${JSON.stringify({ outcomes: many.outcomes, mastersWithChains: many.mastersWithChains })}`,
    );
  } finally {
    await multi.close();
  }
});
