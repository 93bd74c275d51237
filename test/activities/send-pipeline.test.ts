import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { runGuardedSends, type SendSpec } from '../../activities/send-pipeline.js';
import { deliverAll } from '../../activities/send-deliver.js';
import { DecisionLog } from '../../infra/redis/decision-log.js';
import { DecisionLogUnavailableError } from '../../infra/redis/decision-log-errors.js';
import { startSmtpSink, type SmtpSink } from '../../infra/smtp/sink.js';
import { createMailer, type Mailer } from '../../infra/smtp/transport.js';
import { loadTemplatePort } from '../../infra/templates/port.js';
import { createServices } from '../../infra/compose.js';
import { buildActivityDeps } from '../../worker.js';
import type { ActivityDeps } from '../../activities/index.js';
import { testConfig } from '../helpers/config.js';
import { consentEvent } from '../helpers/engine.js';
import { testRedis, uniqueId } from '../helpers/services.js';

// The send path against real Redis and a real SMTP sink, with faults injected into the real adapters.
const { redis, prefix } = testRedis();
const config = testConfig({ REDIS_KEY_PREFIX: prefix });
const services = createServices(config, redis);
let sink: SmtpSink;
let mailer: Mailer;
let deps: ActivityDeps;

before(async () => {
  sink = await startSmtpSink({ outbox: join(config.dataDir, uniqueId('pipe')) });
  mailer = createMailer(config, sink.url);
  deps = buildActivityDeps(config, { redis, mailer, client: {} as Client, taskQueue: 'unused', templates: await loadTemplatePort() });
});
after(async () => {
  mailer.close();
  await sink.stop();
});

const spec = (over: Partial<SendSpec> = {}): SendSpec => ({
  campaignId: uniqueId('c'), campaignVersion: 'v', workflowId: uniqueId('wf'), runId: 'run', stepId: 'send-1',
  purpose: 'marketing.email.newsletter', channel: 'email', processor: 'smtp-relay', templateId: 'welcome-1', ...over,
});

async function subject(fields: Record<string, string>, purpose = 'marketing.email.newsletter') {
  const address = `${uniqueId('p')}@example.org`;
  const r = await services.subjects.upsert(uniqueId('s'), { email: address, ...fields });
  assert.equal(r.status, 'written');
  if (r.status !== 'written') throw new Error('unreachable');
  await services.consent.append(consentEvent(r.ref, { purpose }));
  return { ref: r.ref, address };
}

test('when the decision log cannot be written, nothing is sent and no send is reserved', async () => {
  const { ref, address } = await subject({ first_name: 'Fae' });
  const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  dead.on('error', () => {});
  const brokenLog = new DecisionLog({ redis: dead, keyPrefix: prefix, logKey: config.secrets.logKey, partitions: 4, dataDir: config.dataDir, timeoutMs: 500 });
  const s = spec();
  await assert.rejects(runGuardedSends({ ...deps, appendLog: (e) => brokenLog.appendBatch(e) }, s, [ref]), DecisionLogUnavailableError);
  assert.equal(sink.received.filter((m) => m.envelopeTo.includes(address)).length, 0);
  assert.deepEqual(await deps.ledger.lookup([{ ref, scope: `${s.workflowId}:${s.stepId}` }]), [undefined]);
  dead.disconnect();
  // The same send with a working log goes out: the fault, not the subject, stopped it.
  const [ok] = await runGuardedSends(deps, s, [ref]);
  assert.equal(ok?.status, 'sent');
});

test('a decision older than the freshness limit is refused at delivery, even though it was an allow', async () => {
  const { ref, address } = await subject({ first_name: 'Gil' });
  const s = spec();
  const state = (await services.consent.loadGuardStates([ref]))[0]!;
  const { decide } = await import('../../domain/guard.js');
  const old = decide({ campaignId: s.campaignId, stepId: s.stepId, subjectRef: ref, purpose: s.purpose, channel: s.channel, processor: s.processor, templateId: s.templateId, fields: ['first_name'] }, state, services.policy, new Date(Date.now() - 5 * 60_000));
  assert.equal(old.outcome, 'allow');
  if (old.outcome !== 'allow') return;
  const [entry] = await services.log.appendBatch([{ subjectRef: ref, kind: 'decision', outcome: 'allow', fieldsRequested: [...old.fieldsRequested], fieldsReleased: [...old.fieldsReleased] }]);
  const [out] = await deliverAll(deps, s, `${s.workflowId}:${s.stepId}`, [{ ref, decision: old, decisionEntry: entry!, template: deps.templates.info('welcome-1')! }], () => {});
  assert.deepEqual([out?.status, out?.reasons], ['failed', ['decision_stale']]);
  assert.equal(sink.received.filter((m) => m.envelopeTo.includes(address)).length, 0);
});

test('someone who turned personalisation off gets the generic fallback template, without the personal fields', async () => {
  const { ref, address } = await subject({ first_name: 'Hal', loyalty_tier: 'platinum', preferred_store: 'Secret Street Store' }, 'marketing.email.promotions');
  await services.consent.setPersonalisation(ref, 'off');
  const [out] = await runGuardedSends(deps, spec({ purpose: 'marketing.email.promotions', templateId: 'promo-winter-sale' }), [ref]);
  assert.equal(out?.status, 'sent');
  const eml = readFileSync(sink.received.find((m) => m.envelopeTo.includes(address))!.file, 'utf8');
  assert.doesNotMatch(eml, /platinum|Secret Street Store/);
  const [d] = await (async () => { const a = []; for await (const e of services.log.query({ subjectRef: ref, kind: 'decision' })) a.push(e); return a; })();
  assert.equal(d?.templateId, 'promo-generic');
  assert.ok(!d?.fieldsReleased.includes('loyalty_tier'));
});

test('a profile missing a declared template field is a logged permanent failure: nothing sent, no retry', async () => {
  const { ref, address } = await subject({});
  const [out] = await runGuardedSends(deps, spec(), [ref]);
  assert.deepEqual([out?.status, out?.reasons], ['failed', ['profile_field_missing']]);
  assert.equal(sink.received.filter((m) => m.envelopeTo.includes(address)).length, 0);
  const deliveries = [];
  for await (const e of services.log.query({ subjectRef: ref, kind: 'delivery' })) deliveries.push(e);
  assert.deepEqual(deliveries.map((e) => [e.outcome, e.result]), [['failed', 'profile_field_missing']]);
});

test('a send that fails permanently gives its frequency-cap slot back, so the next campaign may still send', async () => {
  const { ref, address } = await subject({ first_name: 'Ida' });
  sink.failRecipients((a) => a === address, 552, '5.2.2 mailbox full', 1);
  const cap = { max: 1, perMs: 7 * 86_400_000 };
  const [first] = await runGuardedSends(deps, spec({ frequencyCap: cap }), [ref]);
  assert.deepEqual([first?.status, first?.reasons], ['failed', ['smtp_rejected']]);
  const [second] = await runGuardedSends(deps, spec({ frequencyCap: cap }), [ref]);
  assert.equal(second?.status, 'sent');
  const [third] = await runGuardedSends(deps, spec({ frequencyCap: cap }), [ref]);
  assert.deepEqual([third?.status, third?.reasons], ['denied', ['frequency_capped']]);
});
