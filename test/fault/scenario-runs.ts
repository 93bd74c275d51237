// What a fault scenario runs and checks: a promo campaign, seeded members, its start, waits, and the after-run audit.
import assert from 'node:assert/strict';
import { stableMessageId } from '../../activities/message.js';
import { defineCampaign, type Campaign } from '../../domain/campaign.js';
import type { LogEntry } from '../../domain/decision-log.js';
import type { SubjectRef } from '../../domain/ids.js';
import { journeyWorkflowId, type RunReconciliation } from '../../domain/run.js';
import { reconcileRun } from '../../infra/redis/run-reconcile.js';
import { startCampaign } from '../../infra/temporal/campaign-runs.js';
import { MonitorThresholds } from '../../domain/monitor-thresholds.js';
import { consentEvent } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';
import type { CampaignProgress } from '../../workflows/signals.js';
import type { Scenario } from './harness.js';

/** A one-step broadcast on the loyal-members segment. */
export const promo = (id = uniqueId('fault')): Campaign =>
  defineCampaign({
    id,
    name: 'Fault promo',
    description: 'fault test broadcast',
    purpose: 'marketing.email.promotions',
    audience: { segment: 'loyal-members' },
    steps: [
      { id: 'send-promo', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
    ],
    options: { kind: 'broadcast', holdoutPercent: 5 },
  });

/** `n` consenting gold members (every 10th one silver, so outside the segment). */
export async function seedMembers(
  s: Scenario,
  tag: string,
  n: number,
): Promise<Array<{ ref: SubjectRef; address: string; subjectId: string; inSegment: boolean }>> {
  const rows = Array.from({ length: n }, (_, i) => ({
    subjectId: `${tag}-${i}`,
    fields: {
      email: `${tag}-${i}@example.org`,
      first_name: `N${i}`,
      loyalty_tier: i % 10 === 9 ? 'silver' : 'gold',
      preferred_store: 'Mitte',
    },
  }));
  const out: Array<{ ref: SubjectRef; address: string; subjectId: string; inSegment: boolean }> = [];
  for (let i = 0; i < rows.length; i += 500) {
    const written = await s.services.subjects.upsertMany(rows.slice(i, i + 500));
    await Promise.all(
      written.map((w) =>
        w.status === 'written'
          ? s.services.consent.append(consentEvent(w.ref, { purpose: 'marketing.email.promotions' }))
          : undefined,
      ),
    );
    written.forEach((w, j) =>
      out.push({
        ref: w.ref,
        subjectId: rows[i + j]!.subjectId,
        address: rows[i + j]!.fields.email,
        inSegment: rows[i + j]!.fields.loyalty_tier === 'gold',
      }),
    );
  }
  return out;
}

/** Starts the broadcast and returns its run id. */
export async function start(
  s: Scenario,
  c: Campaign,
  opts: { pageSize?: number; chunksInFlight?: number; deferral?: { baseMs: number; maxAttempts: number } } = {},
): Promise<string> {
  // The withdrawal storm denies much of its audience by design: the monitor must not pause the run it measures.
  const monitor = { defaults: MonitorThresholds.parse({ maxRates: { deny: 1 } }) };
  const r = await startCampaign(
    s.temporal,
    c,
    { segment: 'loyal-members' },
    {
      taskQueue: s.taskQueue,
      campaignVersion: 'fault',
      runs: s.services.runs,
      pageSize: opts.pageSize ?? 250,
      chunksInFlight: opts.chunksInFlight,
      deferral: opts.deferral,
      monitor,
    },
  );
  return r.runId;
}

/** Waits for the broadcast's workflow to end and returns its final progress. */
export async function finish(s: Scenario, campaignId: string): Promise<CampaignProgress> {
  return (await s.temporal.workflow.getHandle(`campaign:${campaignId}`).result()) as CampaignProgress;
}

/** Messages the SMTP sink accepted for any of `addresses`. */
export const mailed = (s: Scenario, addresses: ReadonlySet<string>): number =>
  s.sink.received.filter((m) => m.envelopeTo.some((a) => addresses.has(a))).length;

const JOURNEY_PATIENCE_MS = 8 * 60_000;

/** A one-step journey for each of `refs`, on the same promo; resolves with its run id once every journey ended. */
export async function journeysToEnd(
  s: Scenario,
  refs: readonly SubjectRef[],
): Promise<{ runId: string; scopes: string[] }> {
  const journeys = { ...promo(uniqueId('fault-journey')), options: { kind: 'journey' as const, holdoutPercent: 0 } };
  const { runId } = await startCampaign(
    s.temporal,
    journeys,
    { subjectRefs: [...refs] },
    { taskQueue: s.taskQueue, campaignVersion: 'fault', runs: s.services.runs },
  );
  // A journey whose send meets the broadcast's reservation of the same subject is told `busy` and retried with the
  // send step's backoff (2 s doubling, at most 5 minutes apart): under load its last retry may come minutes later.
  await until(
    'every journey ended',
    async () =>
      (await reconcileRun(s.services.runs, s.services.ledger, (await s.services.runs.get(runId))!)).outcomes
        .completed === refs.length,
    JOURNEY_PATIENCE_MS,
  );
  return { runId, scopes: refs.map((ref) => `${journeyWorkflowId(journeys.id, ref)}:send-promo`) };
}

/** Polls until `fn` holds. */
export async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 180_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What the accounting checks found, for the closing figures. */
export interface Audit {
  readonly reconciliation: RunReconciliation;
  readonly emails: number;
  readonly duplicates: number;
  readonly redecisions: number;
}

/**
 * The checks every fault scenario must pass: reconcile finds no member unaccounted, each address got one
 * Message-ID (a repeat is a counted duplicate with the same id), every accepted message has a logged allow
 * decision and a logged delivery, no member has two first decisions, and the chains verify.
 */
export async function audit(
  s: Scenario,
  campaignId: string,
  runId: string,
  members: ReadonlyArray<{ ref: SubjectRef; address: string }>,
  otherScopes: readonly string[] = [],
): Promise<Audit> {
  const run = (await s.services.runs.get(runId))!;
  const reconciliation = await reconcileRun(s.services.runs, s.services.ledger, run);
  assert.equal(run.status, 'finished');
  assert.deepEqual(
    [reconciliation.unaccounted, reconciliation.pending],
    [0, 0],
    `reconcile: ${JSON.stringify(reconciliation)}`,
  );
  const total = Object.values(reconciliation.outcomes).reduce((a, n) => a + n, 0);
  assert.equal(total, reconciliation.audienceSize, 'audience = sum of outcomes');

  const entries: LogEntry[] = [];
  for await (const e of s.services.log.query({ campaignId })) entries.push(e);
  const mine = entries.filter((e) => e.runId === runId);
  const byId = new Map(mine.map((e) => [e.id, e]));
  const deliveredIds = new Map(
    mine.filter((e) => e.kind === 'delivery' && e.outcome === 'sent').map((e) => [e.messageId ?? '', e]),
  );
  // Messages of other runs (named by their ledger scopes, from which Message-IDs derive) are left out.
  const theirs = new Set(
    otherScopes.flatMap((sc) => members.map((m) => stableMessageId(sc, m.ref, s.config.sender.email))),
  );
  const addresses = new Set(members.map((m) => m.address));
  const ids = new Map<string, Set<string | undefined>>();
  let emails = 0;
  for (const m of s.sink.received) {
    if (theirs.has(m.messageId ?? '')) continue;
    for (const a of m.envelopeTo) {
      if (!addresses.has(a)) continue;
      emails++;
      (ids.get(a) ?? ids.set(a, new Set()).get(a)!).add(m.messageId);
      const d = deliveredIds.get(m.messageId ?? '-');
      assert.ok(d, `the message ${m.messageId} to a member has a logged delivery`);
      assert.equal(byId.get(d.decisionId!)?.outcome, 'allow', 'and that delivery a logged allow decision');
    }
  }
  for (const [a, set] of ids) assert.equal(set.size, 1, `${a} got one Message-ID`);
  assert.equal(ids.size, reconciliation.outcomes.sent ?? 0, 'every sent outcome is an address that got mail');
  const firsts = new Map<string, number>();
  for (const e of mine)
    if (e.kind === 'decision' && e.result === null) firsts.set(e.subjectRef, (firsts.get(e.subjectRef) ?? 0) + 1);
  for (const [ref, n] of firsts) assert.equal(n, 1, `${ref} has one first decision in the run`);
  const verify = await s.services.log.verify();
  assert.equal(verify.ok, true, `log verify: ${JSON.stringify(verify.breaks)}`);
  return {
    reconciliation,
    emails,
    duplicates: emails - ids.size,
    redecisions: mine.filter((e) => e.kind === 'decision' && e.result !== null).length,
  };
}
