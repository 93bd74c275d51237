import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { registerCampaignCommands } from '../../cli/campaign.js';
import type { DryRunReport } from '../../cli/campaign-dry-run.js';
import { runCli, testCliContext } from '../helpers/cli-harness.js';
import { consentEvent } from '../helpers/engine.js';
import { testRedis, uniqueId } from '../helpers/services.js';

// The dry run against real Redis: 60 newsletter subscribers, 12 of them without a first name.
const { redis, prefix } = testRedis();
const ctx = testCliContext(redis, prefix);
const cli = (...args: string[]) => runCli(ctx, [registerCampaignCommands], args);

before(async () => {
  const s = await ctx.services();
  for (let i = 0; i < 60; i++) {
    const id = uniqueId('dry');
    const res = await s.subjects.upsert(id, {
      email: `${id}@example.org`,
      ...(i % 5 === 0 ? {} : { first_name: `N${i}` }),
      timezone: 'Europe/Berlin',
    });
    assert.equal(res.status, 'written');
    if (res.status === 'written')
      await s.consent.append(consentEvent(res.ref, { purpose: 'marketing.email.newsletter' }));
  }
  // Not in the segment: no newsletter consent.
  await s.subjects.upsert(uniqueId('out'), { email: 'out@example.org', first_name: 'Out' });
});

test('dry-run totals the whole audience, with --limit trimming only the listing, and counts profile_field_missing', async () => {
  const r = await cli('campaign', 'dry-run', 'welcome-series', '--limit', '5', '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as DryRunReport;
  assert.deepEqual([report.audience, report.scanned, report.subjects.length], [60, 61, 5]);
  assert.deepEqual(report.totals.steps['send-welcome'], {
    wouldSend: 48,
    blocked: 12,
    byReason: { profile_field_missing: 12 },
  });
  assert.deepEqual([report.totals.reached, report.totals.reachedNone, report.totals.messages], [48, 12, 48 * 3]);
});

test('dry-run counts frequency-cap slots already in use, without taking any', async () => {
  const s = await ctx.services();
  const refs: string[] = [];
  for (let cursor = '0'; ;) {
    const page = await s.subjects.pageSubjects(cursor, 100);
    refs.push(...page.refs);
    cursor = page.cursor;
    if (cursor === '0') break;
  }
  const now = Date.now();
  for (const ref of refs)
    for (let k = 0; k < 3; k++)
      await redis.zadd(s.keys.frequencyWindow(ref as never, 'email'), now - 1000 * (k + 1), `other-${k}`);
  const before = await redis.zcard(s.keys.frequencyWindow(refs[0] as never, 'email'));
  const report = JSON.parse((await cli('campaign', 'dry-run', 'welcome-series', '--json')).stdout) as DryRunReport;
  // Three sends already on file fill the 3-per-7d cap for the first two steps; a week later they have left the window.
  assert.deepEqual(report.totals.steps['send-welcome']?.byReason, { profile_field_missing: 12, frequency_capped: 48 });
  assert.deepEqual(report.totals.steps['send-story']?.byReason, { profile_field_missing: 12, frequency_capped: 48 });
  assert.equal(report.totals.steps['send-preferences']?.wouldSend, 48);
  assert.equal(
    await redis.zcard(s.keys.frequencyWindow(refs[0] as never, 'email')),
    before,
    'the dry run took no slot',
  );
});

test('the human report lists the shown subjects and totals over all of them', async () => {
  const r = await cli('campaign', 'dry-run', 'welcome-series', '--limit', '1');
  assert.match(
    r.stdout,
    /^dry run of welcome-series on segment newsletter-subscribers: audience 60 of 61 scanned, 1 shown/,
  );
  assert.match(r.stdout, /totals over all 60: /);
});
