import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Command } from 'commander';
import { addCampaignLintCommand } from '../../cli/campaign-lint.js';
import { CliUsageError, type CliContext } from '../../cli/context.js';
import type { LintSources } from '../../infra/templates/lint-runner.js';
import { badSources, shippedSources } from '../fixtures/lint-sources.js';

// Drives the command in process over given sources; the workspace loader itself is tested in workspace-lint.test.ts.
function program(sources: () => Promise<LintSources> = shippedSources): {
  run(args: string[]): Promise<void>;
  out: string[];
} {
  const out: string[] = [];
  const unused = (): never => assert.fail('campaign lint needs no services');
  const ctx: CliContext = {
    config: unused,
    redis: unused,
    keys: unused,
    redisUrl: unused,
    temporalAddress: unused,
    smtpUrl: unused,
    temporal: unused,
    selectWorkspace: unused,
    workspace: unused,
    workspacePaths: unused,
    policy: unused,
    services: unused,
    actor: unused,
    close: () => Promise.resolve(),
    print: (json, value, human) => void out.push(json ? JSON.stringify(value) : human()),
  };
  const root = new Command('consentflow').exitOverride();
  const campaign = root.command('campaign');
  addCampaignLintCommand(campaign, ctx, async () => ({ sources: await sources(), failures: [] }));
  return {
    out,
    run: async (args) => void (await root.parseAsync(['node', 'consentflow', 'campaign', 'lint', ...args])),
  };
}

afterEach(() => {
  process.exitCode = undefined;
});

test('campaign lint passes on the shipped campaigns and leaves the exit code at 0', async () => {
  const p = program();
  await p.run([]);
  assert.equal(process.exitCode, undefined);
  assert.match(
    p.out.join('\n'),
    /✓ cn-sms-promo: lint clean\n {2}sms step send-member-day \(sms-cn-promo\): UCS-2, 41 characters of fixed text = 1 segment\(s\) of 70, plus 3 merged value\(s\)\n✓ reengagement: lint clean\n✓ welcome-series: lint clean\n✓ winter-promo: lint clean\n4 campaign\(s\) lint clean/,
  );
});

test('campaign lint <id> --json prints one result', async () => {
  const p = program();
  await p.run(['welcome-series', '--json']);
  assert.deepEqual(JSON.parse(p.out[0] ?? ''), {
    ok: true,
    campaigns: [{ campaign: 'welcome-series', ok: true, problems: [], sms: [] }],
    failures: [],
  });
});

test('campaign lint sets exit code 1 and groups problems by campaign', async () => {
  const p = program(badSources);
  await p.run([]);
  assert.equal(process.exitCode, 1);
  const text = p.out.join('\n');
  assert.match(
    text,
    /✗ birthday-newsletter: 1 problem\(s\)\n {2}\[field_not_allowed\] step send-it field birth_year: campaign "birthday-newsletter" step "send-it": template "newsletter-birthday" needs field "birth_year"/,
  );
  assert.match(text, /✗ order-notice: 1 problem\(s\)\n {2}\[promotional_essential\]/);
  assert.match(text, /3 of 7 campaign\(s\) have problems$/);
});

test('campaign lint --json on a failing campaign reports ok: false with the problem', async () => {
  const p = program(badSources);
  await p.run(['birthday-newsletter', '--json']);
  assert.equal(process.exitCode, 1);
  const res = JSON.parse(p.out[0] ?? '') as {
    ok: boolean;
    campaigns: { problems: { code: string; field: string }[] }[];
  };
  assert.equal(res.ok, false);
  assert.deepEqual(
    res.campaigns[0]?.problems.map((x) => [x.code, x.field]),
    [['field_not_allowed', 'birth_year']],
  );
});

test('campaign lint with an unknown id is a usage error naming the known campaigns', async () => {
  await assert.rejects(
    program().run(['nope']),
    (e: unknown) =>
      e instanceof CliUsageError &&
      /no campaign "nope"; known campaigns: cn-sms-promo, reengagement, welcome-series, winter-promo/.test(e.message),
  );
});
