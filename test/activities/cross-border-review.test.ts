import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runGuardedSends, type SendSpec } from '../../activities/send-pipeline.js';
import { createReviewActivities } from '../../activities/review.js';
import type { LogEntry } from '../../domain/decision-log.js';
import type { SubjectRef } from '../../domain/ids.js';
import type { ReportSummary, ReviewReport } from '../../domain/review-report.js';
import { loadPolicy } from '../../infra/policy-loader.js';
import { ReviewStateStore } from '../../infra/redis/review-state-store.js';
import { policy as shipped } from '../../policy/index.js';
import { consentEvent } from '../helpers/engine.js';
import { newsletterSpec, sendPath } from '../helpers/send-path.js';
import { uniqueId } from '../helpers/services.js';

// A CN subject mailed through the EU relay, on real Redis and SMTP: the log records the transfer, the review reports it.
const path = sendPath('xb');
const { redis, prefix, services } = path;
const { policy } = loadPolicy(shipped);

const spec = (): SendSpec => newsletterSpec();

async function cnSubject(transferConsent: boolean): Promise<{ ref: SubjectRef; transferConsentId: string | null }> {
  const r = await services.subjects.upsert(uniqueId('s'), { email: `${uniqueId('cn')}@example.org`, first_name: '梅' });
  if (r.status !== 'written') throw new Error('subject not written');
  await services.consent.append(
    consentEvent(r.ref, { purpose: 'marketing.email.newsletter', language: 'zh-CN', jurisdiction: 'CN' }),
  );
  if (!transferConsent) return { ref: r.ref, transferConsentId: null };
  const t = consentEvent(r.ref, { purpose: 'transfer.overseas.smtp_relay', language: 'zh-CN', jurisdiction: 'CN' });
  await services.consent.append(t);
  return { ref: r.ref, transferConsentId: t.id };
}

async function decisionOf(ref: SubjectRef): Promise<LogEntry> {
  for await (const e of services.log.query({ subjectRef: ref, kind: 'decision' })) return e;
  throw new Error('no decision logged');
}

async function review(sinceMs: number): Promise<ReviewReport> {
  const written: ReviewReport[] = [];
  const a = createReviewActivities({
    reviewLog: services.log,
    reviewStates: new ReviewStateStore(redis, prefix),
    consentEvents: (ref) => services.consent.events(ref),
    pageSubjects: (cursor, count) => services.subjects.pageSubjects(cursor, count),
    policy: () => policy,
    appendLog: (entries) => services.log.appendBatch(entries),
    reviewReports: {
      write: (r) => Promise.resolve(void written.push(r)).then(() => ({ id: r.id, status: r.status }) as ReportSummary),
      read: (id) => Promise.resolve(written.find((r) => r.id === id) ?? null),
      summarize: (r) => ({ id: r.id, status: r.status }) as ReportSummary,
    },
    subjectRequests: () =>
      Promise.resolve({ available: false, open: 0, completed: 0, overdue: 0, other: 0, note: 'none' }),
    reviewSliceMs: 0,
  });
  const id = `20260101T000000Z-${uniqueId('x')
    .replace(/[^a-z0-9]/g, '')
    .slice(-8)
    .padStart(4, '0')}`;
  await a.beginReview({ id, sinceMs, untilMs: Date.now() + 1, baselineDays: 0 });
  while (!(await a.reviewPages({ id })).done);
  await a.finishReview({
    id,
    chain: await a.verifyReviewChain(),
    subjectRequests: await a.reviewSubjectRequests(),
    workflowId: 'wf',
    runId: 'run',
  });
  return written[0]!;
}

test('an allowed send of a CN subject to the EU relay logs the rule, the region, the CAC filing and the separate consent it relied on', async () => {
  const sinceMs = Date.now() - 1;
  const { ref, transferConsentId } = await cnSubject(true);
  const [outcome] = await runGuardedSends(path.deps, spec(), [ref]);
  assert.equal(outcome?.status, 'sent');
  const d = await decisionOf(ref);
  assert.equal(d.outcome, 'allow');
  assert.equal(d.jurisdiction, 'CN');
  assert.equal(d.transferTo, 'EU');
  assert.equal(d.transferMechanism, 'CAC-SC-440300-2025-0142');
  assert.equal(d.transferMechanismKind, 'standard_contract');
  assert.equal(d.transferValidFrom, '2025-03-01T00:00:00Z');
  assert.equal(d.transferValidUntil, '2028-02-29T23:59:59Z');
  assert.equal(d.transferConsentEventId, transferConsentId);

  const r = await review(sinceMs);
  const row = r.crossBorder.find((c) => c.processor === 'smtp-relay' && c.jurisdiction === 'CN');
  assert.ok(row, JSON.stringify(r.crossBorder));
  assert.equal(row.transferTo, 'EU');
  assert.equal(row.sends, 1);
  assert.deepEqual(Object.keys(row.fields).sort(), [...d.fieldsReleased].sort());
  assert.deepEqual(
    row.mechanisms.map((m) => [m.reference, m.kind, m.moves]),
    [['CAC-SC-440300-2025-0142', 'standard_contract', 1]],
  );
  assert.equal(r.invariants.find((i) => i.code === 'cross_border_transfer_unlawful')?.count, 0);
  assert.equal(r.status, 'pass', JSON.stringify(r.failures));
});

test('without the separate consent the guard denies and logs the transfer it refused, with no consent relied on', async () => {
  const { ref } = await cnSubject(false);
  const [outcome] = await runGuardedSends(path.deps, spec(), [ref]);
  assert.equal(outcome?.status, 'denied');
  const d = await decisionOf(ref);
  assert.deepEqual(d.reasons, ['cross_border_consent_missing']);
  assert.equal(d.transferTo, 'EU');
  assert.equal(d.transferMechanism, 'CAC-SC-440300-2025-0142');
  assert.equal(d.transferConsentEventId, null);
});

test('the review flags logged sends of CN data abroad that relied on a lapsed mechanism or on no separate consent', async () => {
  const sinceMs = Date.now() - 1;
  const lawful = await cnSubject(true);
  const noConsent = await cnSubject(false);
  const lapsed = await cnSubject(true);
  const send = async (ref: SubjectRef, over: Partial<LogEntry>) => {
    // Appended through the real log as a faulty guard would have: the review must judge the facts, not trust the outcome.
    const d = await services.log.append({
      subjectRef: ref,
      kind: 'decision',
      outcome: 'allow',
      purpose: 'marketing.email.newsletter',
      channel: 'email',
      processor: 'smtp-relay',
      noticeVersion: '3',
      policyVersion: policy.version,
      fieldsRequested: ['email'],
      fieldsReleased: ['email'],
      jurisdiction: 'CN',
      transferTo: 'EU',
      transferMechanism: 'CAC-SC-440300-2025-0142',
      transferMechanismKind: 'standard_contract',
      transferValidFrom: '2025-03-01T00:00:00Z',
      transferValidUntil: '2028-02-29T23:59:59Z',
      ...over,
    });
    return services.log.append({
      subjectRef: ref,
      kind: 'delivery',
      outcome: 'sent',
      decisionId: d.id,
      processor: 'smtp-relay',
      purpose: 'marketing.email.newsletter',
      channel: 'email',
      result: 'accepted',
    });
  };
  await send(lawful.ref, { transferConsentEventId: lawful.transferConsentId });
  const a = await send(noConsent.ref, { transferConsentEventId: null });
  const b = await send(lapsed.ref, {
    transferConsentEventId: lapsed.transferConsentId,
    transferValidFrom: '2020-01-01T00:00:00Z',
    transferValidUntil: '2021-01-01T00:00:00Z',
  });
  const r = await review(sinceMs);
  const found = r.invariants.find((i) => i.code === 'cross_border_transfer_unlawful');
  assert.equal(found?.count, 2);
  assert.deepEqual([...found!.entryIds].sort(), [a.id, b.id].sort());
  const row = r.crossBorder.find((c) => c.processor === 'smtp-relay' && c.jurisdiction === 'CN')!;
  assert.equal(row.sends, 3);
  assert.equal(row.withoutConsent, 1);
  assert.equal(row.withoutMechanism, 1);
  assert.ok(r.failures.includes('cross_border_transfer_unlawful'));
});
