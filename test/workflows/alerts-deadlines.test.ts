import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertWorkflowId } from '../../domain/alert.js';
import type { SubjectRef } from '../../domain/ids.js';
import { ensureOperationsWatch, operationsWatchId } from '../../infra/temporal/operations-watch-start.js';
import { startPropagation, startSubjectRequest, waitForSubjectRequest } from '../../infra/temporal/rights.js';
import type { PropagationResult } from '../../workflows/propagation.js';
import { RecordingNotifier } from '../helpers/api.js';
import { useAlertWorker } from '../helpers/alert-worker.js';
import { eventually, scheduledActivities } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

// The SMS gateway never answers, so an erasure's notice to it keeps retrying: its request stays open (the deadline
// alerts), or, with a short retry window, runs out of attempts (propagation_overdue).
const notifier = new RecordingNotifier();
notifier.answers.set('sms-gateway', { ok: false, reason: 'sms-gateway answered HTTP 503', retryable: true });
// The activities' clock, ahead of the wall clock by less than the log's 5-minute skew limit (entries stamped further
// off are refused): the overdue alert must carry its time, not the wall clock's.
const DAY = 86_400_000;
const clockOffset = 3 * 60_000;
const w = await useAlertWorker({ notifier, now: () => new Date(Date.now() + clockOffset) });

type Post = { key: string; kind: string; text: string; at: string; facts: Record<string, unknown> };
const delivered = (key: string) =>
  w.receiver
    .of(key)
    .filter((p) => p.status === 200)
    .map((p) => JSON.parse(p.body) as Post);

// A subject whose data went to the SMS gateway, as the send path logs it (the propagation plans from these entries).
async function mailedSubject(): Promise<SubjectRef> {
  const res = await w.services.subjects.upsert(uniqueId('s'), { email: `${uniqueId('d')}@example.org` });
  if (res.status !== 'written') throw new Error(`seed refused: ${res.reason}`);
  const common = { subjectRef: res.ref, purpose: 'marketing.email.newsletter', channel: 'email' };
  const [decision] = await w.services.log.appendBatch([
    { ...common, kind: 'decision', outcome: 'allow', processor: 'sms-gateway', fieldsReleased: ['email'] },
  ]);
  await w.services.log.append({
    ...common,
    kind: 'delivery',
    outcome: 'sent',
    processor: 'sms-gateway',
    decisionId: decision!.id,
    result: 'accepted',
  });
  return res.ref;
}

/** Deadline checks the watch has scheduled in its current run (each is scheduled once the previous one ended). */
async function deadlineChecks(): Promise<number> {
  const scheduled = await scheduledActivities(w.client.workflow.getHandle(operationsWatchId(w.taskQueue)));
  return scheduled.filter((name) => name === 'checkSubjectRequestDeadlines').length;
}

test('the operations watch alerts once for a request within two days of its deadline and once for an overdue one, not for one with time left, and not again on later ticks', async () => {
  const now = Date.now();
  // Intake stamped by an injected clock: 14 and 16 days ago, each with the 15-day deadline.
  const start = async (daysAgo: number) =>
    startSubjectRequest(w.client, w.taskQueue, {
      type: 'erase',
      subjectRef: await mailedSubject(),
      deadlineDays: 15,
      receivedAt: new Date(now - daysAgo * DAY),
    });
  const [soon, late, fresh] = [await start(14), await start(16), await start(0)];
  const soonKey = `dsr_deadline:${soon}:due_soon`;
  const lateKey = `dsr_deadline:${late}:overdue`;
  assert.equal(await ensureOperationsWatch(w.client, w.taskQueue, { tickMs: 300, deadlinesEveryMs: 0 }), 'started');
  await eventually(
    () => (delivered(soonKey).length && delivered(lateKey).length ? true : undefined),
    60_000,
    'both deadline alerts at the webhook',
  );
  // Two more checks scheduled: at least one whole check ran after both alerts, on the same open requests.
  const seen = await deadlineChecks();
  await eventually(async () => ((await deadlineChecks()) >= seen + 2 ? true : undefined), 60_000, 'two more ticks');
  for (const key of [soonKey, lateKey]) await w.client.workflow.getHandle(alertWorkflowId(key)).result();

  const dsrKeys = w.receiver.posts.map((p) => JSON.parse(p.body) as Post).filter((b) => b.kind === 'dsr_deadline');
  assert.deepEqual(dsrKeys.map((b) => b.key).sort(), [soonKey, lateKey].sort(), 'one post per key, none for fresh');
  assert.ok(!dsrKeys.some((b) => b.key.includes(fresh)));
  const [soonPost] = delivered(soonKey);
  const [latePost] = delivered(lateKey);
  assert.match(soonPost!.text, new RegExp(`^Subject request ${soon} is due by \\S+, within two days\\.`));
  assert.equal(soonPost!.facts.deadline, new Date(now + DAY).toISOString());
  assert.match(latePost!.text, new RegExp(`^Subject request ${late} is overdue: its deadline was \\S+\\.`));
  assert.equal(latePost!.facts.deadline, new Date(now - DAY).toISOString());
  assert.doesNotMatch(JSON.stringify(dsrKeys), /@example\.org/, 'the alert names requests, never an address');
  const logged = await w.alertEntries('dsr_deadline');
  assert.deepEqual(logged.map((e) => /key=(\S+)/.exec(e.result ?? '')?.[1]).sort(), [soonKey, lateKey].sort());
  for (const id of [soon, late, fresh])
    await w.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
});

test('a processor still uninformed when its retries run out raises one propagation_overdue alert, stamped by the clock; the same change failing again alerts no more', async () => {
  const subjectRef = await mailedSubject();
  const retry = { maximumAttempts: 2, initialIntervalMs: 100 };
  const requestId = await startSubjectRequest(w.client, w.taskQueue, {
    type: 'erase',
    subjectRef,
    deadlineDays: 15,
    propagationRetry: retry,
  });
  assert.equal((await waitForSubjectRequest(w.client, requestId)).status, 'completed');
  const key = `propagation_overdue:${requestId}:sms-gateway`;
  await w.client.workflow.getHandle(alertWorkflowId(key)).result();
  const [post, ...more] = delivered(key);
  assert.equal(more.length, 0);
  assert.equal(post!.kind, 'propagation_overdue');
  assert.match(
    post!.text,
    new RegExp(
      `^Processor sms-gateway was not informed of erased change ${requestId} within its retry window \\(2 attempts\\)`,
    ),
  );
  assert.deepEqual(post!.facts, { processor: 'sms-gateway', change: requestId, kind: 'erased', attempts: 2 });
  const at = Date.parse(post!.at);
  assert.ok(at > Date.now() + 60_000 && at <= Date.now() + clockOffset, `stamped by the injected clock: ${post!.at}`);

  // The same change propagated again (a retried start after the first run closed) fails the same way.
  const again = await startPropagation(w.client, w.taskQueue, {
    v: 1,
    changeId: requestId,
    kind: 'erased',
    subjectRef,
    retry,
  });
  const result = (await w.client.workflow.getHandle(again).result()) as PropagationResult;
  assert.equal(result.processors['sms-gateway'], 'failed');
  assert.equal(w.receiver.of(key).length, 1, 'de-duplicated by its key: no second post');
  const logged = (await w.alertEntries('propagation_overdue')).filter((e) => (e.result ?? '').includes(requestId));
  assert.equal(logged.length, 1);
});
