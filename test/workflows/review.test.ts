import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { ulid } from 'ulid';
import type { LogEntryInput } from '../../domain/decision-log.js';
import type { SubjectRef } from '../../domain/ids.js';
import type { ReportSummary } from '../../domain/review-report.js';
import { readReport, reportJsonPath, reportsDirOf } from '../../infra/reports/report-store.js';
import { startSubjectRequest } from '../../infra/temporal/rights.js';
import { launchChromium } from '../helpers/browser.js';
import { consentEvent, eventually, useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const base = process.env.CF_TEST_DATA_DIR ?? '.data/test';
const dataDir = join(base, uniqueId('review'));
const engine = useEngine({ env: { CONSENTFLOW_DATA_DIR: dataDir } });
const log = engine.services.log;
const reportsDir = reportsDirOf(engine.config);

const decision = (ref: SubjectRef, over: Partial<LogEntryInput> = {}): LogEntryInput => ({
  subjectRef: ref,
  kind: 'decision',
  outcome: 'allow',
  campaignId: 'review-test',
  campaignVersion: 'v1',
  workflowId: 'wf',
  runId: 'run',
  stepId: 'send-1',
  purpose: 'marketing.email.newsletter',
  channel: 'email',
  processor: 'smtp-relay',
  noticeVersion: '3',
  policyVersion: engine.services.policy.version,
  fieldsRequested: ['first_name', 'email'],
  fieldsReleased: ['first_name', 'email'],
  templateId: 'welcome-1',
  ...over,
});
const delivery = (ref: SubjectRef, decisionId: string, over: Partial<LogEntryInput> = {}): LogEntryInput => ({
  subjectRef: ref,
  kind: 'delivery',
  outcome: 'sent',
  decisionId,
  campaignId: 'review-test',
  campaignVersion: 'v1',
  workflowId: 'wf',
  runId: 'run',
  stepId: 'send-1',
  purpose: 'marketing.email.newsletter',
  channel: 'email',
  processor: 'smtp-relay',
  result: 'accepted',
  smtpCode: 250,
  templateId: 'welcome-1',
  ...over,
});

async function runReview(since: Date, until: Date): Promise<ReportSummary> {
  return (await engine.client.workflow.execute('review', {
    taskQueue: engine.taskQueue,
    workflowId: uniqueId('review'),
    args: [{ v: 1, since: since.toISOString(), until: until.toISOString() }],
  })) as ReportSummary;
}

const later = () => new Date(Date.now() + 1000);
let cleanHtml = '';

test('a period with seeded violations is reported exactly, by count and entry id, and the review is logged', async () => {
  const since = new Date();
  const a = engine.services.pseudonymize(uniqueId('a'));
  const b = engine.services.pseudonymize(uniqueId('b'));
  await engine.services.consent.append(consentEvent(a, { purpose: 'marketing.email.newsletter' }));
  // Decided just before the period: its delivery inside the period is still authorised.
  const early = await log.append({ ...decision(a), at: new Date(since.getTime() - 2000).toISOString() });
  const ok = await log.append(decision(a));
  const deny = await log.append(
    decision(a, {
      outcome: 'deny',
      reasons: ['no_consent'],
      fieldsReleased: [],
      fieldsWithheld: ['first_name', 'email'],
    }),
  );
  const wide = await log.append(decision(a, { fieldsReleased: ['first_name', 'email', 'birth_year'] }));
  const oldNotice = await log.append(decision(a, { noticeVersion: '1' }));
  const legacy = await log.append(decision(a));
  await engine.services.consent.append(
    consentEvent(b, { purpose: 'marketing.email.newsletter' }, new Date(Date.now() - 5000)),
  );
  await engine.services.consent.append(
    consentEvent(b, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }, new Date(Date.now() - 1000)),
  );
  const afterWithdrawal = await log.append(decision(b));
  const sends = await log.appendBatch([
    delivery(a, early.id),
    delivery(a, ok.id),
    delivery(a, deny.id),
    delivery(a, oldNotice.id),
    delivery(a, legacy.id, { processor: 'legacy-esp' }),
    delivery(b, afterWithdrawal.id),
    delivery(a, ulid(), { outcome: 'failed', result: 'smtp_rejected', smtpCode: 554 }),
  ]);
  const [, , onDeny, onOld, onLegacy, onWithdrawn, orphan] = sends;
  const summary = await runReview(since, later());
  assert.equal(summary.status, 'fail');
  const report = (await readReport(reportsDir, summary.id))!;
  assert.deepEqual(Object.fromEntries(report.invariants.map((i) => [i.code, { count: i.count, ids: i.entryIds }])), {
    send_without_allow: { count: 1, ids: [onDeny!.id] },
    field_outside_purpose: { count: 1, ids: [wide.id] },
    send_after_withdrawal: { count: 1, ids: [onWithdrawn!.id] },
    send_outdated_notice: { count: 1, ids: [onOld!.id] },
    processor_agreement_invalid: { count: 1, ids: [onLegacy!.id] },
    delivery_without_decision: { count: 1, ids: [orphan!.id] },
    unaccounted_subjects: { count: 0, ids: [] },
    policy_snapshot_missing: { count: 0, ids: [] },
    cross_border_transfer_unlawful: { count: 0, ids: [] },
  });
  assert.equal(report.chain.ok, true);
  assert.equal(report.totals.entries, 13, 'the early decision is outside the period');
  assert.deepEqual(report.totals.byOutcome, { allow: 5, deny: 1, sent: 6, failed: 1 });
  assert.deepEqual(report.totals.byReason, { no_consent: 1 });
  assert.equal(
    report.processors.find((p) => p.id === 'smtp-relay')?.received['marketing.email.newsletter']?.fields.first_name,
    4,
  );
  const reviews = [];
  for await (const e of log.query({ kind: 'review', since })) reviews.push(e);
  assert.equal(reviews.length, 1);
  assert.equal(reviews[0]!.id, report.logEntryId);
  assert.match(reviews[0]!.result ?? '', new RegExp(`^fail review=${summary.id} .*violations=6 chain_breaks=0$`));
  assert.ok(reviews[0]!.reasons.includes('invariant_send_without_allow'));
  // A failed review alerts: a mail to the policy's compliance contact, and the alert in the log, once.
  const mail = await eventually(
    () =>
      engine.sink.received.find(
        (m) => m.envelopeTo.includes('compliance@shop.example') && m.messageId?.includes(`review_fail.${summary.id}`),
      ),
    30_000,
    'the review alert mail',
  );
  assert.ok(mail);
  const alerts = await eventually(
    async () => {
      const found = [];
      for await (const e of log.query({ kind: 'operator', since }))
        if (e.stepId === 'alert_raised' && e.reasons.includes('review_fail')) found.push(e);
      return found.length ? found : undefined;
    },
    30_000,
    'the review alert entry',
  );
  assert.equal(alerts.length, 1);
  assert.match(
    alerts[0]!.result ?? '',
    new RegExp(`^actor=monitor alert=review_fail key=review_fail:${summary.id} .*violations=6`),
  );
});

test('a clean period passes and its report holds no subjectRef', async () => {
  const since = new Date();
  const a = engine.services.pseudonymize(uniqueId('clean'));
  await engine.services.consent.append(consentEvent(a, { purpose: 'marketing.email.newsletter' }));
  const d = await log.append(decision(a));
  await log.append(delivery(a, d.id));
  await log.append(decision(a, { outcome: 'deny', reasons: ['frequency_capped'], fieldsReleased: [] }));
  const summary = await runReview(since, later());
  assert.equal(summary.status, 'pass', JSON.stringify(summary));
  assert.deepEqual(summary.failures, []);
  // A failed review raises its alert before it returns; a passing one raises none.
  await assert.rejects(engine.client.workflow.getHandle(`alert:review_fail:${summary.id}`).describe(), /not found/i);
  const report = (await readReport(reportsDir, summary.id))!;
  assert.deepEqual(report.totals.byReason, { frequency_capped: 1 });
  assert.deepEqual(
    report.keys.map((k) => [k.key, k.id]).sort(),
    Object.entries(engine.config.secrets.rings)
      .map(([k, r]) => [k, r.current.id])
      .sort(),
    'each key with its id',
  );
  assert.doesNotMatch(JSON.stringify(report), new RegExp(a), 'no subjectRef of a person in the report');
  cleanHtml = summary.htmlPath;
  assert.ok(statSync(cleanHtml).size > 100_000, 'Chart.js is inlined');
  const bits = (f: string) => (statSync(f).mode & 0o777).toString(8);
  assert.deepEqual(
    [bits(reportsDir), bits(summary.htmlPath), bits(reportJsonPath(reportsDir, summary.id))],
    ['700', '600', '600'],
    'reports are private',
  );
});

test('the HTML report renders its charts offline in headless Chromium without console errors', async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => void errors.push(e.message));
    page.on('request', (r) => void (r.url().startsWith('file:') || requests.push(r.url())));
    await page.goto(pathToFileURL(cleanHtml).href);
    // Browser-side code as text: the test project compiles without DOM types.
    await page.waitForFunction('Array.isArray(window.reviewCharts)');
    const charts = await page.evaluate<
      { id: string; width: number; painted: number }[]
    >(`[...document.querySelectorAll('canvas')].map((c) => {
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
      return { id: c.id, width: c.width, painted };
    })`);
    await page.screenshot({ path: join(dataDir, 'review-report.png'), fullPage: true });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [], 'the report fetches nothing');
    assert.equal(charts.length, 4);
    for (const c of charts) assert.ok(c.width > 0 && c.painted > 100, `chart ${c.id} drew nothing`);
    assert.ok(statSync(join(dataDir, 'review-report.png')).size > 10_000);
    assert.match((await page.textContent('h1')) ?? '', /PASS/);
  } finally {
    await browser.close();
  }
});

test('subject requests of the deployment are counted, one answered after its deadline as overdue', async () => {
  const ref = await engine.seed(uniqueId('dsar'), { email: `${uniqueId('d')}@example.org`, first_name: 'Dee' });
  const id = await startSubjectRequest(engine.client, engine.taskQueue, {
    type: 'access',
    subjectRef: ref,
    deadlineDays: 1,
    receivedAt: new Date(Date.now() - 10 * 86_400_000),
  });
  await engine.client.workflow.getHandle(id).result();
  // Visibility is eventually consistent: wait until it lists the closed request.
  await eventually(
    async () => {
      for await (const wf of engine.client.workflow.list({
        query: `WorkflowId = '${id}' AND ExecutionStatus = 'Completed'`,
      }))
        return wf;
      return undefined;
    },
    20_000,
    'the request in visibility',
  );
  const since = new Date();
  const summary = await runReview(since, later());
  const report = (await readReport(reportsDir, summary.id))!;
  assert.deepEqual(
    { ...report.subjectRequests, note: undefined },
    { available: true, open: 0, completed: 1, overdue: 1, other: 0, note: undefined },
  );
});

test('a tampered log fails the review with the break located', async () => {
  const since = new Date();
  const a = engine.services.pseudonymize(uniqueId('tamper'));
  const d = await log.append(decision(a));
  const redis = log.opts.redis;
  const key = log.keys.logChain(d.partition);
  const rows = (await redis.xrange(key, '-', '+')) as [string, string[]][];
  // An attacker with Redis access: streams cannot be edited in place, so the chain is rewritten with the same ids.
  await redis.del(key);
  for (const [id, f] of rows)
    await redis.xadd(
      key,
      id,
      'e',
      f[1]!.includes(d.id) ? f[1]!.replace('"review-test"', '"forged"') : f[1]!,
      'h',
      f[3]!,
    );
  const summary = await runReview(since, later());
  assert.equal(summary.status, 'fail');
  const report = (await readReport(reportsDir, summary.id))!;
  assert.ok(report.failures.includes('chain_broken'));
  assert.deepEqual(
    report.chain.breaks.map((x) => ({ partition: x.partition, seq: x.seq })),
    [{ partition: d.partition, seq: d.seq }],
  );
  assert.equal(
    report.invariants.every((i) => i.count === 0),
    true,
  );
});
