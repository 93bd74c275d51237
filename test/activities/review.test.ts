import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogEntryInput } from '../../domain/decision-log.js';
import type { SubjectRef } from '../../domain/ids.js';
import type { ReportSummary, ReviewReport } from '../../domain/review-report.js';
import { createReviewActivities, type ReviewActivityDeps } from '../../activities/review.js';
import { loadPolicy } from '../../infra/policy-loader.js';
import { ReviewStateStore } from '../../infra/redis/review-state-store.js';
import { consentEvent, testStores } from '../helpers/consent-fixtures.js';
import { decision, makeLog } from '../infra/redis/fixtures/decision-log-fixture.js';
import { uniqueId } from '../helpers/services.js';
import { policy as shippedPolicy } from '../../policy/index.js';

const { redis, prefix, consent, subjects } = testStores();
const { policy } = loadPolicy(shippedPolicy);

function activities(log: ReturnType<typeof makeLog>, written: ReviewReport[], pageSize: number) {
  const deps: ReviewActivityDeps = {
    reviewLog: log,
    reviewStates: new ReviewStateStore(redis, prefix),
    consentEvents: (ref) => consent.events(ref),
    pageSubjects: (cursor, count) => subjects.pageSubjects(cursor, count),
    policy: () => policy,
    appendLog: (entries) => log.appendBatch(entries),
    reviewReports: {
      write: (r) => Promise.resolve(void written.push(r)).then(() => ({ id: r.id, status: r.status }) as ReportSummary),
      read: (id) => Promise.resolve(written.find((r) => r.id === id) ?? null),
      summarize: (r) => ({ id: r.id, status: r.status }) as ReportSummary,
    },
    subjectRequests: () =>
      Promise.resolve({ available: false, open: 0, completed: 0, overdue: 0, other: 0, note: 'none' }),
    reviewPageSize: pageSize,
    reviewSliceMs: 0,
  };
  return createReviewActivities(deps);
}

const allowed = (ref: SubjectRef, n: number): LogEntryInput =>
  decision(n, {
    subjectRef: ref,
    outcome: 'allow',
    reasons: [],
    noticeVersion: '3',
    fieldsReleased: ['email', 'first_name'],
    fieldsWithheld: [],
    fieldsRequested: ['email', 'first_name'],
  });

async function seed(log: ReturnType<typeof makeLog>, n: number) {
  const since = new Date(Date.now() - 1000);
  for (let i = 0; i < n; i++) {
    const id = uniqueId('r');
    const res = await subjects.upsert(id, { email: `${id}@example.org` });
    assert.equal(res.status, 'written');
    const ref = subjects.refOf(id);
    await consent.append(consentEvent(ref, { noticeVersion: 3 }));
    const d = await log.append(allowed(ref, i));
    await log.append({
      subjectRef: ref,
      kind: 'delivery',
      outcome: 'sent',
      decisionId: d.id,
      processor: 'smtp-relay',
      purpose: d.purpose,
      channel: 'email',
      result: 'accepted',
    });
  }
  return { sinceMs: since.getTime(), untilMs: Date.now() + 1 };
}

test('pages one at a time through parked state and finishes with the same counts as one big page', async () => {
  const log = makeLog(redis, `${prefix}a:`);
  const period = await seed(log, 7);
  const results: ReviewReport[] = [];
  for (const pageSize of [3, 1000]) {
    const written: ReviewReport[] = [];
    const a = activities(log, written, pageSize);
    const id = `20250101T000000Z-${pageSize === 3 ? 'small000' : 'large000'}`;
    await a.beginReview({ id, ...period, baselineDays: 1 });
    let calls = 0;
    for (let done = false; !done; calls++) done = (await a.reviewPages({ id })).done;
    if (pageSize === 3) assert.ok(calls >= 5, `paged in ${calls} calls`);
    const chain = await a.verifyReviewChain();
    await a.finishReview({
      id,
      chain,
      subjectRequests: await a.reviewSubjectRequests(),
      workflowId: 'wf',
      runId: 'run',
    });
    results.push(written[0]!);
    assert.equal(
      await new ReviewStateStore(redis, prefix).load(id),
      null,
      'parked state is dropped once the report is written',
    );
  }
  const [small, large] = results;
  assert.equal(small!.totals.entries, 14);
  assert.deepEqual(small!.totals, large!.totals);
  assert.equal(small!.status, 'pass', JSON.stringify(small!.failures));
  assert.ok(small!.consent.subjectsScanned >= 7);
});

test('two attempts of the same page call never count a page twice', async () => {
  const log = makeLog(redis, `${prefix}b:`);
  const period = await seed(log, 6);
  const written: ReviewReport[] = [];
  const a = activities(log, written, 2);
  const id = '20250101T000000Z-race0000';
  await a.beginReview({ id, ...period, baselineDays: 0 });
  for (let done = false; !done;)
    done = (await Promise.all([a.reviewPages({ id }), a.reviewPages({ id })])).some((r) => r.done);
  const parked = await new ReviewStateStore(redis, prefix).load(id);
  assert.equal(parked!.state.entries, 12);
  // A retried finish after the state was dropped answers from the written report instead of logging twice.
  const chain = await a.verifyReviewChain();
  const args = { id, chain, subjectRequests: await a.reviewSubjectRequests(), workflowId: 'wf', runId: 'run' };
  await a.finishReview(args);
  await a.finishReview(args);
  assert.equal(written.length, 1);
  const reviews = [];
  for await (const e of log.query({ kind: 'review' })) reviews.push(e);
  assert.equal(reviews.length, 1);
});

test('a page call for a review that was never begun fails for good, naming the review', async () => {
  const a = activities(makeLog(redis, `${prefix}c:`), [], 10);
  await assert.rejects(
    a.reviewPages({ id: '20250101T000000Z-missing0' }),
    (e: Error & { type?: string; nonRetryable?: boolean }) =>
      e.type === 'ReviewStateMissingFailure' && e.nonRetryable === true && /20250101T000000Z-missing0/.test(e.message),
  );
});
