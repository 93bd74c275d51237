import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { defineCampaign } from '../../../domain/campaign.js';
import type { SubjectRef } from '../../../domain/ids.js';
import { journeyWorkflowId } from '../../../domain/run.js';
import { createServices } from '../../../infra/compose.js';
import { startSmtpSink, type SmtpSink } from '../../../infra/smtp/sink.js';
import { connectClient } from '../../../infra/temporal/connection.js';
import { journeyStarter } from '../../../infra/temporal/journeys.js';
import { policy } from '../../../policy/index.js';
import type { JourneyState } from '../../../workflows/signals.js';
import { testConfig } from '../../helpers/config.js';
import { consentEvent, eventually } from '../../helpers/engine.js';
import { testRedis, testTemporal, uniqueId } from '../../helpers/services.js';

const root = join(import.meta.dirname, '..', '..', '..');
const { redis, prefix, url } = testRedis();
const tq = testTemporal();
const config = testConfig({ REDIS_KEY_PREFIX: prefix, CONSENTFLOW_PUBLIC_URL: 'https://prefs.shop.example' });
const services = createServices(config, redis, policy);
const stderr: string[] = [];
let sink: SmtpSink;
let client: Client;
let worker: ChildProcess;

before(async () => {
  sink = await startSmtpSink({ outbox: join(config.dataDir, uniqueId('logs-outbox')) });
  const { secrets } = config;
  const env = {
    ...process.env,
    CONSENTFLOW_ENV: 'dev',
    // Debug: every activity start and completion is logged, the most a worker ever writes about a send.
    CONSENTFLOW_LOG_LEVEL: 'debug',
    REDIS_URL: url,
    REDIS_KEY_PREFIX: prefix,
    TEMPORAL_ADDRESS: tq.address,
    TEMPORAL_NAMESPACE: tq.namespace,
    TEMPORAL_TASK_QUEUE: tq.taskQueue,
    SMTP_URL: sink.url,
    CONSENTFLOW_PUBLIC_URL: config.publicUrl,
    CONSENTFLOW_DATA_DIR: config.dataDir,
    CONSENTFLOW_MASTER_KEY: secrets.masterKey.toString('base64'),
    CONSENTFLOW_PSEUDONYM_KEY: secrets.pseudonymKey.toString('base64'),
    CONSENTFLOW_LOG_KEY: secrets.logKey.toString('base64'),
    CONSENTFLOW_TOKEN_KEY: secrets.tokenKey.toString('base64'),
    CONSENTFLOW_CODEC_KEY: secrets.codecKey.toString('base64'),
    CONSENTFLOW_CODEC_KEY_ID: secrets.codecKeyId,
  };
  worker = spawn(process.execPath, ['--import', 'tsx', join(root, 'cli.ts'), 'worker'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  worker.stderr!.on('data', (d: Buffer) =>
    stderr.push(
      ...d
        .toString()
        .split('\n')
        .filter((l) => l.trim() !== ''),
    ),
  );
  client = await connectClient(config, tq.address);
});

after(async () => {
  if (worker.exitCode === null && worker.signalCode === null) {
    const exited = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGTERM');
    await exited;
  }
  await client.connection.close();
  await sink.stop();
});

test('a worker process logs its sends as JSON through pino: subjectRefs appear, no address, name or phone number does', async () => {
  const people = [
    { id: uniqueId('s'), email: `${uniqueId('zebulon')}@example.org`, first_name: 'Zebulon', phone: '+4915112345678' },
    {
      id: uniqueId('s'),
      email: `${uniqueId('philippa')}@example.net`,
      first_name: 'Philippa',
      phone: '+8613800138000',
    },
  ];
  const campaign = defineCampaign({
    id: uniqueId('c'),
    name: 'Logs',
    description: 'worker log test',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'all-subscribers' },
    steps: [{ id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' }],
  });
  // The second address is refused for good with a reply that quotes it, as real servers do.
  sink.failRecipients((a) => a === people[1]!.email, 550, `5.1.1 <${people[1]!.email}>: Recipient address rejected`);
  const refs: SubjectRef[] = [];
  for (const p of people) {
    const w = await services.subjects.upsert(p.id, { email: p.email, first_name: p.first_name, phone: p.phone });
    assert.equal(w.status, 'written');
    if (w.status !== 'written') return;
    await services.consent.append(consentEvent(w.ref, { purpose: 'marketing.email.newsletter' }));
    refs.push(w.ref);
    await journeyStarter(client, tq.taskQueue)(journeyWorkflowId(campaign.id, w.ref), {
      v: 1,
      campaign,
      campaignVersion: 'test',
      subjectRef: w.ref,
    });
  }
  const results = await Promise.all(
    refs.map((ref) => client.workflow.getHandle(journeyWorkflowId(campaign.id, ref)).result() as Promise<JourneyState>),
  );
  assert.deepEqual(
    results.map((r) => r.status),
    ['completed', 'completed'],
  );
  assert.equal(
    sink.received.filter((m) => m.envelopeTo.includes(people[0]!.email)).length,
    1,
    'the first person got the message',
  );

  // Completion of each send activity is logged before its journey can finish; wait for both lines to arrive.
  await eventually(
    () =>
      refs.every((ref) => stderr.some((l) => l.includes(ref) && l.includes('Activity completed'))) ? true : undefined,
    20_000,
    'both activity completions in the log',
  );
  const json = stderr.filter((l) => l.startsWith('{'));
  for (const ref of refs)
    assert.ok(
      json.some((l) => l.includes(ref)),
      `the log names ${ref}`,
    );
  const parsed = json.map((l) => JSON.parse(l) as { name?: string; level?: number; msg?: string });
  assert.ok(
    parsed.every((p) => p.name === 'consentflow-worker' && typeof p.level === 'number'),
    'every JSON line comes from the worker logger',
  );
  assert.ok(
    parsed.some((p) => p.msg === 'Activity completed'),
    'activity logs go through pino',
  );
  const all = stderr.join('\n');
  for (const p of people) {
    for (const value of [p.email, p.first_name, p.phone, p.id])
      assert.ok(
        !all.includes(value),
        `the worker log holds no ${value.startsWith('+') ? 'phone number' : 'personal value'}`,
      );
  }
});
