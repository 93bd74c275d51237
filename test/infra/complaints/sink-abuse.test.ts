import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { createProcessMetrics } from '../../../infra/metrics/provider.js';
import { complaintIntakeFor } from '../../../infra/complaints/compose.js';
import { createServices } from '../../../infra/compose.js';
import { freePort } from '../../../infra/embedded/process.js';
import { silentLogger } from '../../../infra/logging.js';
import { startSmtpSink, type SmtpSink } from '../../../infra/smtp/sink.js';
import { policy } from '../../../policy/index.js';
import { testConfig } from '../../helpers/config.js';
import { arfReport } from './complaints-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-sink-abuse-'));
const config = testConfig({});
let sink: SmtpSink;
let dead: Redis;

before(async () => {
  // A Redis nobody listens on: every store call of the intake fails, as in an outage.
  dead = new Redis(`redis://127.0.0.1:${await freePort()}`, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  dead.on('error', () => {});
  const intake = complaintIntakeFor(createServices(config, dead, policy), dead, {
    meter: createProcessMetrics('sink-abuse-test').meter,
    logger: silentLogger(),
  });
  sink = await startSmtpSink({ outbox: join(dir, 'outbox') });
  sink.acceptAbuse(config.abuseAddress, (raw) => intake.receiveArf(raw));
});
after(async () => {
  await sink.stop();
  dead.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

test('while the stores are down the abuse address answers 451, so the reporter keeps the report and retries', async () => {
  const original = [
    'From: news@shop.example',
    'To: pat@example.org',
    'Message-ID: <0123abcd@shop.example>',
    'Subject: hi',
    '',
    'body',
    '',
  ].join('\r\n');
  const t = nodemailer.createTransport({ url: sink.url });
  try {
    await assert.rejects(
      t.sendMail({ envelope: { from: 'fbl@provider.example', to: [config.abuseAddress] }, raw: arfReport(original) }),
      (e: { responseCode?: number }) => e.responseCode === 451,
    );
  } finally {
    t.close();
  }
  assert.equal(sink.received.length, 0, 'nothing was taken into the outbox either');
});
