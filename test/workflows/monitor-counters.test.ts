import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { createMonitorActivities } from '../../activities/monitor.js';
import { defineCampaign } from '../../domain/campaign.js';
import type { LogEntry } from '../../domain/decision-log.js';
import { ReviewAccumulator } from '../../domain/review.js';
import { emptyReviewState } from '../../domain/review-state.js';
import { readRunCounters } from '../../infra/redis/run-counters.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import { consentEvent, useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();
// The engine's Redis: its keys carry the engine's prefix.
const redis = new Redis(process.env.CF_TEST_REDIS_URL!);
after(() => redis.quit());

const refused = (what: string) => () => Promise.reject(new Error(`${what} is not part of reading a window`));

test("the monitor's window figures, read from the run's counters, equal what the review counts in the log for that run", async () => {
  const started = Date.now();
  const tag = uniqueId('count');
  const written = await engine.services.subjects.upsertMany(
    Array.from({ length: 30 }, (_, i) => ({
      subjectId: `${tag}-${i}`,
      fields: { email: `${tag}-${i}@example.org`, first_name: `N${i}`, loyalty_tier: 'gold', preferred_store: 'Mitte' },
    })),
  );
  // A third consented under an outdated notice (denied), a fifth hard-bounce at the SMTP server, the rest are sent.
  const bouncing = new Set<string>();
  await Promise.all(
    written.map((w, i) => {
      if (w.status !== 'written') throw new Error('seed refused');
      if (i % 5 === 1) bouncing.add(`${tag}-${i}@example.org`);
      const noticeVersion = i % 3 === 0 ? 2 : 3;
      return engine.services.consent.append(
        consentEvent(w.ref, { purpose: 'marketing.email.promotions', noticeVersion }),
      );
    }),
  );
  engine.sink.failRecipients((a) => bouncing.has(a), 550, '5.1.1 user unknown');
  const c = defineCampaign({
    id: uniqueId('counted'),
    name: 'Counted promo',
    description: 'a run whose outcomes are counted twice',
    purpose: 'marketing.email.promotions',
    audience: { segment: 'loyal-members' },
    steps: [
      { id: 'send-promo', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
    ],
    // Never pauses: this run is about counting.
    options: { kind: 'broadcast', holdoutPercent: 0, monitor: { maxRates: { deny: 1, hard_bounce: 1, failure: 1 } } },
  });
  const res = await startCampaign(
    engine.client,
    c,
    { segment: 'loyal-members' },
    { taskQueue: engine.taskQueue, campaignVersion: 'v-test', pageSize: 7, runs: engine.services.runs },
  );
  assert.equal(res.kind, 'run');
  const done = (await engine.client.workflow.getHandle(`campaign:${c.id}`).result()) as CampaignProgress;
  assert.equal(done.status, 'completed');

  const entries: LogEntry[] = [];
  for await (const e of engine.services.log.query({ campaignId: c.id })) if (e.runId === res.runId) entries.push(e);
  const period = { sinceMs: started - 60_000, untilMs: Date.now() + 60_000 };
  const review = new ReviewAccumulator(engine.services.policy, emptyReviewState(period));
  await review.addPage(entries, { findDecision: async () => null, consentEvents: async () => [] });
  const tally = review.state.byCampaign[c.id]!;

  const monitor = createMonitorActivities({
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
    appendLog: refused('logging'),
    campaignState: refused('campaign state'),
    pauseCampaign: refused('pausing'),
    raiseAlert: refused('alerting'),
  });
  const figures = await monitor.readCampaignWindow({
    campaignId: c.id,
    runId: res.runId,
    since: new Date(period.sinceMs).toISOString(),
    until: new Date(period.untilMs).toISOString(),
  });

  assert.equal(figures.decisions, review.state.byKind.decision);
  assert.equal(figures.denies, tally.deny);
  assert.equal(figures.deliveries, tally.sent + tally.failed);
  assert.equal(figures.failures, tally.failed);
  assert.equal(
    figures.hardBounces,
    entries.filter((e) => e.kind === 'delivery' && e.reasons.includes('hard_bounce')).length,
  );
  assert.equal(figures.breaches, 0);
  // The run really had each outcome, so the equalities above compare something.
  assert.deepEqual(
    { decisions: figures.decisions, denies: figures.denies, sent: tally.sent, bounced: figures.hardBounces },
    { decisions: 30, denies: 10, sent: 16, bounced: 4 },
  );
});
