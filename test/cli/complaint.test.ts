import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { registerComplaintCommands } from '../../cli/complaint.js';
import { EmailMessages } from '../../infra/redis/email-messages.js';
import { freePort } from '../../infra/embedded/process.js';
import { runCli, testCliContext } from '../helpers/cli-harness.js';
import { testRedis, uniqueId } from '../helpers/services.js';
import { arfReport } from '../infra/complaints/complaints-helpers.js';

const { redis, prefix } = testRedis();
const ctx = testCliContext(redis, prefix);
const cli = (...args: string[]) => runCli(ctx, [registerComplaintCommands], args);
const dir = mkdtempSync(join(tmpdir(), 'cf-cli-complaint-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const original = (messageId: string) =>
  [`From: news@shop.example`, `To: pat@example.org`, `Message-ID: ${messageId}`, 'Subject: hello', '', 'body', ''].join(
    '\r\n',
  );
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('complaint arf records a report about a remembered message, then calls a repeat a duplicate (exit 0 both times)', async () => {
  const services = await ctx.services();
  const ref = services.pseudonymize(uniqueId('s'));
  const messageId = `<${ulid().toLowerCase()}@shop.example>`;
  const spec = {
    campaignId: 'spring',
    campaignVersion: 'v1',
    workflowId: 'broadcast:spring',
    runId: 'run-1',
    stepId: 'send-1',
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    processor: 'smtp-relay',
    templateId: 'welcome-1',
  };
  await new EmailMessages(redis, ctx.keys()).remember(messageId, { ref, decisionId: ulid(), spec });
  const report = file('report.eml', arfReport(original(messageId)));
  const r = await cli('complaint', 'arf', '--file', report, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([JSON.parse(r.stdout).status, JSON.parse(r.stdout).subjectRef], ['recorded', ref]);
  assert.deepEqual(
    (await services.consent.suppressions(ref)).map((s) => s.kind),
    ['complaint'],
  );
  const again = await cli('complaint', 'arf', '--file', report);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /already recorded/);
});

test('complaint arf exits 65 for a message that is not a feedback report, 0 for an unknown Message-ID, 2 without input', async () => {
  const bad = await cli('complaint', 'arf', '--file', file('plain.eml', original('<x@shop.example>')));
  assert.equal(bad.code, 65);
  assert.match(bad.stdout, /not a feedback report \(not_feedback_report\)/);
  const unknown = await cli(
    'complaint',
    'arf',
    '--file',
    file('unknown.eml', arfReport(original('<nothing-we-sent@shop.example>'))),
  );
  assert.equal(unknown.code, 0);
  assert.match(unknown.stdout, /names no message this deployment sent/);
  const missing = await cli('complaint', 'arf', '--file', join(dir, 'nope.eml'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--file .*nope\.eml: no such file/);
});

test('complaint arf exits 75 when Redis is unreachable, so the MTA keeps the report and retries', async () => {
  const dead = new Redis(`redis://127.0.0.1:${await freePort()}`, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  dead.on('error', () => {});
  try {
    const offline = testCliContext(dead, prefix);
    const r = await runCli(
      offline,
      [registerComplaintCommands],
      ['complaint', 'arf', '--file', file('later.eml', arfReport(original('<later@shop.example>')))],
    );
    assert.equal(r.code, 75);
  } finally {
    dead.disconnect();
  }
});
