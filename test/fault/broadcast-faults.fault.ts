import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holdout } from '../../domain/campaign.js';
import { recordConsent } from '../../library.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { uniqueId } from '../helpers/services.js';
import { scenario } from './harness.js';
import { audit, finish, mailed, promo, seedMembers, start, until } from './scenario-runs.js';

// Faults an operator meets, against real services: the scenario's own Redis (AOF, fsync always), a worker process,
// the shared Temporal dev server and a real SMTP conversation. Figures go to stdout for the closing notes.
const report = (name: string, figures: Record<string, unknown>) =>
  console.log(`[fault] ${name} ${JSON.stringify(figures)}`);

test('kill -9 of Redis mid-broadcast, restarted on the same dir: every member accounted for, one Message-ID each, the log verifies', async () => {
  const s = await scenario(uniqueId('redis-kill'));
  try {
    const members = await seedMembers(s, uniqueId('rk'), 2200);
    const addresses = new Set(members.map((m) => m.address));
    const c = promo();
    const runId = await start(s, c);
    await until('400 deliveries before the kill', () => mailed(s, addresses) >= 400);
    const logBefore = s.workerLog.length;
    await s.redis!.kill();
    const atKill = mailed(s, addresses);
    await new Promise((r) => setTimeout(r, 8_000));
    const whileDown = mailed(s, addresses) - atKill;
    await s.redis!.start();
    await until('the worker to see Redis back', () => s.workerLog.some((l) => l.includes('Redis is back')), 60_000);
    // An outage reads as a few lines (lost, back, one per distinct failure), not a stack trace per command.
    const outage = s.workerLog.slice(logBefore);
    assert.ok(
      outage.some((l) => l.includes('lost Redis')),
      outage.join('\n'),
    );
    assert.ok(
      outage.length <= 12 && !outage.some((l) => /^\s+at /.test(l)),
      `worker output during the outage:\n${outage.join('\n')}`,
    );
    const done = await finish(s, c.id);
    assert.equal(done.status, 'completed');
    const a = await audit(s, c.id, runId, members);
    assert.ok(atKill < (a.reconciliation.outcomes.sent ?? 0), 'the kill landed mid-broadcast');
    report('redis-kill', {
      workerLinesDuringOutage: outage.length,
      audience: a.reconciliation.audienceSize,
      outcomes: a.reconciliation.outcomes,
      unaccounted: a.reconciliation.unaccounted,
      emails: a.emails,
      duplicates: a.duplicates,
      sentAtKill: atKill,
      acceptedWhileDown: whileDown,
      redecisions: a.redecisions,
    });
  } finally {
    await s.close();
  }
});

test('kill -9 of the worker three times mid-broadcast: every member accounted for, one Message-ID each, the log verifies', async () => {
  const s = await scenario(uniqueId('worker-kill'));
  try {
    const members = await seedMembers(s, uniqueId('wk'), 2200);
    const addresses = new Set(members.map((m) => m.address));
    const c = promo();
    const runId = await start(s, c);
    const kills: number[] = [];
    for (const at of [300, 800, 1300]) {
      await until(`${at} deliveries`, () => mailed(s, addresses) >= at);
      await s.killWorker();
      kills.push(mailed(s, addresses));
      s.startWorker();
    }
    const done = await finish(s, c.id);
    assert.equal(done.status, 'completed');
    const a = await audit(s, c.id, runId, members);
    assert.ok(kills[2]! < (a.reconciliation.outcomes.sent ?? 0), 'the last kill landed mid-broadcast');
    report('worker-kill', {
      audience: a.reconciliation.audienceSize,
      outcomes: a.reconciliation.outcomes,
      unaccounted: a.reconciliation.unaccounted,
      emails: a.emails,
      duplicates: a.duplicates,
      sentAtKills: kills,
      redecisions: a.redecisions,
    });
  } finally {
    await s.close();
  }
});

test('a withdrawal storm during a broadcast: no email is accepted after its subject was told the withdrawal holds', async () => {
  const s = await scenario(uniqueId('storm'));
  try {
    const members = await seedMembers(s, uniqueId('ws'), 2200);
    const addresses = new Set(members.map((m) => m.address));
    const c = promo();
    const runId = await start(s, c);
    await until('the first deliveries', () => mailed(s, addresses) >= 100);
    const targets = members.filter((_, i) => i % 2 === 0).slice(0, 1000);
    const ackedAt = new Map<string, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < targets.length) {
          const m = targets[next++]!;
          const r = await recordConsent(
            { services: s.services },
            {
              type: 'withdrawn',
              subjectId: m.subjectId,
              purpose: 'marketing.email.promotions',
              channel: 'email',
              language: 'en',
              collectionPoint: 'storm',
              method: 'api',
              jurisdiction: 'EU',
              source: 'fault-test',
            },
          );
          assert.equal(r.ok, true);
          ackedAt.set(m.address, Date.now());
        }
      }),
    );
    const atEnd = mailed(s, addresses);
    await finish(s, c.id);
    const a = await audit(s, c.id, runId, members);
    let after = 0;
    for (const msg of s.sink.received)
      for (const addr of msg.envelopeTo) if ((ackedAt.get(addr) ?? Infinity) < msg.acceptedAt) after++;
    report('withdrawal-storm', {
      withdrawals: targets.length,
      emailsAfterWithdrawalAck: after,
      outcomes: a.reconciliation.outcomes,
      reasons: a.reconciliation.reasons,
      redecisions: a.redecisions,
      sentWhenStormEnded: atEnd,
    });
    assert.equal(after, 0, 'no email accepted after its withdrawal was acknowledged');
    assert.ok(
      (a.reconciliation.outcomes.sent ?? 0) > 100 && atEnd < a.reconciliation.audienceSize,
      'the storm landed mid-broadcast',
    );
  } finally {
    await s.close();
  }
});

test('three recipients answering 451 do not hold up the others, and end in one logged failure each', async () => {
  const s = await scenario(uniqueId('slow'));
  try {
    const members = await seedMembers(s, uniqueId('sl'), 600);
    const c = promo();
    const slow = new Set(
      members
        .filter((m) => m.inSegment && !holdout(m.ref, c.id, c.options.holdoutPercent))
        .slice(0, 3)
        .map((m) => m.address),
    );
    s.sink.failRecipients((a) => slow.has(a), 451, '4.7.1 greylisted, try again later');
    const others = new Set(members.map((m) => m.address).filter((a) => !slow.has(a)));
    // A 2 s first delay, doubling, four attempts: about 14 s before the slow ones are given up.
    const runId = await start(s, c, { pageSize: 600, deferral: { baseMs: 2_000, maxAttempts: 4 } });
    const t0 = Date.now();
    const run = () => s.services.runs.get(runId);
    await until('the audience fixed', async () => (await run())?.status !== 'snapshotting');
    const expected = (await run())!.audienceSize!;
    // Everyone else is delivered while the slow three are still waiting for their next attempt.
    await until('every other allowed member mailed', async () => {
      const r = await s.temporal.workflow.getHandle(`campaign:${c.id}`).query<CampaignProgress>('progress');
      return r.phase !== 'pages' && mailed(s, others) > 0;
    });
    const othersDoneMs = Date.now() - t0;
    const othersMailed = mailed(s, others);
    const done = await finish(s, c.id);
    const totalMs = Date.now() - t0;
    const a = await audit(s, c.id, runId, members);
    assert.equal(mailed(s, slow), 0);
    assert.equal(
      othersMailed,
      a.reconciliation.outcomes.sent,
      'all the others were mailed before the slow ones were given up',
    );
    assert.equal(a.reconciliation.reasons.deferred_budget_exhausted, 3);
    assert.ok(totalMs - othersDoneMs > 5_000, 'the slow recipients kept being retried after the others were done');
    assert.equal(done.outcomes?.failed, 3);
    report('slow-recipients', { audience: expected, othersDoneMs, totalMs, outcomes: a.reconciliation.outcomes });
  } finally {
    await s.close();
  }
});
