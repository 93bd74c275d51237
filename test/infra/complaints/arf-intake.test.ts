import assert from 'node:assert/strict';
import { test } from 'node:test';
import { complaintIntakeFor } from '../../../infra/complaints/compose.js';
import { createLogger } from '../../../infra/logging.js';
import { createProcessMetrics } from '../../../infra/metrics/provider.js';
import { useEngine } from '../../helpers/engine.js';
import { uniqueId } from '../../helpers/services.js';
import { arfReport, complaintsEventually, complaintsOf, mailTo, sample, sendOne } from './complaints-helpers.js';

const engine = useEngine();
const processMetrics = createProcessMetrics('complaints-test');
const logLines: string[] = [];

// Root-level hooks of one file may overlap, so the sink is wired on first use rather than in a hook of its own.
let wired = false;
function wire(): void {
  if (wired) return;
  wired = true;
  const logger = createLogger({
    name: 'complaints-test',
    destination: { write: (s: string) => void logLines.push(s) },
  });
  const intake = complaintIntakeFor(engine.services, engine.services.log.opts.redis, {
    meter: processMetrics.meter,
    logger,
  });
  engine.sink.acceptAbuse(engine.config.abuseAddress, (raw) => intake.receiveArf(raw));
}

const metrics = () => processMetrics.scrape();
const epochOf = async (ref: string) =>
  Number((await engine.services.log.opts.redis.get(engine.services.keys.epoch(ref as never))) ?? 0);

test('an ARF report mailed to the abuse address suppresses the subject, logs one complaint entry, counts it, and the next send is denied suppressed', async () => {
  wire();
  const address = `${uniqueId('arf')}@example.org`;
  const ref = await engine.seed(uniqueId('s'), { email: address, first_name: 'Arfa' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const sent = await sendOne(engine, ref, address);
  assert.match(sent.messageId, /^<[0-9a-f]{32}@/);
  const epoch = await epochOf(ref);

  const reply = await mailTo(engine, engine.config.abuseAddress, arfReport(sent.raw, { rcpt: address }));
  assert.match(reply, /^250/);
  const [entry] = await complaintsEventually(engine, ref, 1);
  assert.equal(entry!.outcome, 'recorded');
  assert.equal(entry!.campaignId, sent.campaignId);
  assert.equal(entry!.runId, sent.runId);
  assert.equal(entry!.stepId, 'send-1');
  assert.equal(entry!.messageId, sent.messageId);
  assert.deepEqual(entry!.reasons, ['feedback_abuse']);
  assert.match(entry!.result ?? '', /^source=arf feedback=abuse received=2026-11-30T06:00:00.000Z$/);
  assert.doesNotMatch(JSON.stringify(entry), /example\.org|Arfa/, 'no address or name in the entry');
  const suppressions = await engine.services.consent.suppressions(ref);
  assert.deepEqual(
    suppressions.map((s) => [s.kind, s.source]),
    [['complaint', 'complaint:arf']],
  );
  assert.ok((await epochOf(ref)) > epoch, 'the suppression bumped the consent epoch, so a reserved send is refused');
  assert.equal(sample(await metrics(), 'consentflow_complaints_total', 'source="arf"'), 1);

  const next = await sendOne(engine, ref, address);
  assert.equal(next.raw.length, 0, 'no second message');
  const decisions = [];
  for await (const e of engine.services.log.query({ subjectRef: ref, campaignId: next.campaignId, kind: 'decision' }))
    decisions.push(e);
  assert.deepEqual(
    decisions.map((d) => [d.outcome, d.reasons.includes('suppressed')]),
    [['deny', true]],
  );

  // A second copy of the same report (providers resend) records nothing more.
  assert.match(await mailTo(engine, engine.config.abuseAddress, arfReport(sent.raw, { rcpt: address })), /^250/);
  await complaintsEventually(engine, ref, 1);
  const text = await metrics();
  assert.equal(sample(text, 'consentflow_complaints_total', 'source="arf"'), 1);
  assert.ok(sample(text, 'consentflow_complaint_reports_ignored_total', 'source="arf",reason="duplicate"') >= 1);
  assert.equal((await complaintsOf(engine, ref)).length, 1);
  assert.ok(
    logLines.some((l) => l.includes(ref) && l.includes('complaint_recorded')),
    'the log names the subject by its ref',
  );
  assert.ok(!logLines.some((l) => l.includes(address) || l.includes('Arfa')), 'no address or name in the intake log');
});

test('a report with only the original headers (text/rfc822-headers) is matched by its Message-ID too', async () => {
  wire();
  const address = `${uniqueId('hdr')}@example.org`;
  const ref = await engine.seed(uniqueId('s'), { email: address, first_name: 'Kim' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const sent = await sendOne(engine, ref, address);
  assert.ok(sent.raw.length > 0, 'the first message was sent');
  assert.match(await mailTo(engine, engine.config.abuseAddress, arfReport(sent.raw, { headersOnly: true })), /^250/);
  const [entry] = await complaintsEventually(engine, ref, 1);
  assert.equal(entry!.campaignId, sent.campaignId);
});

test('malformed reports, unknown Message-IDs and not-spam reports are accepted, logged as such and change nothing', async () => {
  wire();
  const address = `${uniqueId('bad')}@example.org`;
  const ref = await engine.seed(uniqueId('s'), { email: address, first_name: 'Kim' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const sent = await sendOne(engine, ref, address);
  assert.ok(sent.raw.length > 0, 'the first message was sent');
  const before = await metrics();
  const count = (text: string, reason: string) =>
    sample(text, 'consentflow_complaint_reports_ignored_total', `source="arf",reason="${reason}"`);
  const plain = [
    'From: <x@provider.example>',
    `To: <${engine.config.abuseAddress}>`,
    'Subject: hello',
    '',
    `you spammed ${address}`,
    '',
  ].join('\r\n');
  const unknown = sent.raw
    .toString()
    .replace(sent.messageId, '<00000000000000000000000000000000@shop.example>')
    .replace(/^List-Unsubscribe:.*(\r\n[ \t].*)*\r\n/im, '');
  const noType = arfReport(sent.raw, { feedbackType: 'complaint-ish' });
  const notSpam = arfReport(sent.raw, { feedbackType: 'not-spam' });
  for (const raw of [plain, arfReport(unknown), noType, notSpam, 'garbage without headers\r\n'])
    assert.match(await mailTo(engine, engine.config.abuseAddress, raw), /^250/);
  const after = await metrics();
  for (const reason of ['not_feedback_report', 'unmatched', 'bad_feedback_type', 'not_a_complaint'])
    assert.ok(count(after, reason) > count(before, reason), `${reason} counted`);
  assert.deepEqual(await complaintsOf(engine, ref), []);
  assert.deepEqual(await engine.services.consent.suppressions(ref), []);
  assert.ok(!logLines.some((l) => l.includes(address)), 'the report text is never logged');
});

test('mail to other addresses still lands in the outbox; the abuse address is matched case-insensitively', async () => {
  wire();
  const n = engine.sink.received.length;
  assert.match(await mailTo(engine, 'someone@example.org', 'Subject: x\r\n\r\nhi\r\n'), /^250/);
  assert.equal(engine.sink.received.length, n + 1);
  assert.match(await mailTo(engine, engine.config.abuseAddress.toUpperCase(), 'Subject: x\r\n\r\nhi\r\n'), /^250/);
  assert.equal(engine.sink.received.length, n + 1, 'abuse mail goes to intake, not the outbox');
});
