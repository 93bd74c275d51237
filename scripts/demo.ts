// `npm run demo`: the main job on embedded services. Imports a mixed-consent audience, lints and dry-runs the
// welcome series, runs it with short waits, sends a Chinese SMS step to subjects in China over SMPP, and prints what
// was sent, what was blocked and why, and where the
// emails and the decision log are.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ulid } from 'ulid';
import type { ConsentEvent, ConsentEventType } from '../domain/consent.js';
import { buildConsentEvent } from '../domain/consent-record.js';
import type { SubjectRef } from '../domain/ids.js';
import type { PolicyBundle } from '../domain/policy.js';
import { buildConfig, parseEnv } from '../infra/config.js';
import { createServices } from '../infra/compose.js';
import { loadDevKeys } from '../infra/dev-keys.js';
import { startStack } from '../infra/embedded/stack.js';
import { campaignWorkflowId } from '../infra/temporal/campaign-runs.js';
import { connectClient } from '../infra/temporal/connection.js';
import { startPropagation } from '../infra/temporal/rights.js';
import { installRuntime } from '../infra/temporal/runtime.js';
import { journeyWorkflowId } from '../activities/campaign.js';
import { clearDevRuntime, writeDevRuntime } from '../cli/runtime-file.js';
import { openWorkspace } from '../infra/workspace/load.js';
import { startWorker, workerContent } from '../worker.js';
import type { JourneyState } from '../workflows/signals.js';
import { demoAudience, demoSmsAudience, writeAudienceFile, type DemoPerson } from './demo-audience.js';
import { runSmsStep } from './demo-sms.js';

const root = join(import.meta.dirname, '..');
const CAMPAIGN = 'welcome-series';
// 3 and 4 days of waiting become about 5 and 7 seconds.
const TIME_SCALE = '0.00002';

function cli(dataDir: string, args: string[]): string {
  console.log(`\n$ consentflow ${args.join(' ')}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli.ts'), ...args], {
    cwd: root,
    env: { ...process.env, CONSENTFLOW_DATA_DIR: dataDir },
    encoding: 'utf8',
  });
  const out = `${r.stdout}${r.stderr}`.trimEnd();
  console.log(
    out
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );
  if (r.status !== 0 && !(args[0] === 'campaign' && args[1] === 'status'))
    throw new Error(`consentflow ${args.join(' ')} exited ${r.status}`);
  return out;
}

function consentEvent(
  policy: PolicyBundle,
  ref: SubjectRef,
  type: ConsentEventType,
  noticeVersion: number,
  extra: { pending?: true } = {},
): ConsentEvent {
  const withdrawal = type === 'withdrawn';
  const r = buildConsentEvent(
    {
      type,
      subjectRef: ref,
      purpose: 'marketing.email.newsletter',
      channel: 'email',
      noticeVersion,
      language: 'en',
      collectionPoint: withdrawal ? 'preference_center' : 'signup_form',
      method: withdrawal ? 'preference_center' : 'form',
      jurisdiction: 'EU',
      source: 'demo',
      ...extra,
    },
    policy,
    new Date(),
    ulid(),
  );
  if (!r.ok) throw new Error(r.message);
  return r.event;
}

async function main(): Promise<void> {
  const dataDir = resolve(process.env.CONSENTFLOW_DATA_DIR ?? join(root, '.data', 'demo'));
  // Each demo run starts from an empty store so its output is reproducible; keys are kept.
  for (const d of ['redis', 'outbox', 'sms-outbox', 'log-segments', 'reports'])
    rmSync(join(dataDir, d), { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const env = parseEnv({ ...process.env, CONSENTFLOW_DATA_DIR: dataDir });
  const config = buildConfig(env, loadDevKeys(dataDir, true));
  installRuntime();
  const t0 = Date.now();
  const stack = await startStack(env, { persistent: false });
  console.log(
    `services up in ${((Date.now() - t0) / 1000).toFixed(1)}s: redis ${stack.redis.url} (${stack.redis.source}), temporal ${stack.temporal.address} (${stack.temporal.source}), smtp ${stack.smtpUrl}, smpp ${stack.smsc ? `smpp://127.0.0.1:${stack.smsc.port}` : 'SMPP_URL'}`,
  );
  const content = workerContent(await openWorkspace(root));
  const { policy } = content;
  const running = await startWorker(
    config,
    {
      redisUrl: stack.redis.url,
      temporalAddress: stack.temporal.address,
      smtpUrl: stack.smtpUrl,
      smppUrl: stack.smppUrl,
    },
    { content },
  );
  writeDevRuntime(dataDir, {
    pid: process.pid,
    redisUrl: stack.redis.url,
    temporalAddress: stack.temporal.address,
    smtpUrl: stack.smtpUrl,
    outbox: stack.sink?.outbox,
  });
  const client = await connectClient(config, stack.temporal.address);
  const { Redis } = await import('ioredis');
  const redis = new Redis(stack.redis.url);
  const services = createServices(config, redis, policy);
  const demoStart = new Date();
  try {
    const people = demoAudience();
    const audienceFile = join(dataDir, 'audience.jsonl');
    const smsPeople = demoSmsAudience();
    writeAudienceFile(audienceFile, [...people, ...smsPeople]);
    cli(dataDir, ['subject', 'import', audienceFile]);
    const refOf = new Map<DemoPerson, SubjectRef>(people.map((p) => [p, services.pseudonymize(p.id)]));
    for (const [p, ref] of refOf) {
      if (p.consent === 'outdated_notice')
        await services.consent.append(consentEvent(policy, ref, 'granted', p.id.endsWith('5') ? 2 : 1));
      else if (p.consent === 'pending_double_opt_in')
        await services.consent.append(consentEvent(policy, ref, 'granted', 3, { pending: true }));
      else await services.consent.append(consentEvent(policy, ref, 'granted', 3));
      if (p.consent === 'withdrawn_before') await services.consent.append(consentEvent(policy, ref, 'withdrawn', 3));
    }
    console.log(
      `\nrecorded consent for ${people.length} people (current notice v3; two under older notices; one withdrawn; one unconfirmed double opt-in)`,
    );

    cli(dataDir, ['campaign', 'lint', CAMPAIGN]);
    cli(dataDir, ['campaign', 'dry-run', CAMPAIGN]);
    cli(dataDir, ['campaign', 'start', CAMPAIGN, '--time-scale', TIME_SCALE]);

    const midway = people.find((p) => p.consent === 'withdraws_mid_journey')!;
    const midAddress = midway.fields.email!;
    await waitFor(
      () => (stack.sink?.received.some((m) => m.envelopeTo.includes(midAddress)) ? true : undefined),
      60_000,
    );
    // The subject answers on the preference centre (their own act, not staff's): recorded as the API records it,
    // then propagated, which makes their running journey exit and informs processors.
    const withdrawal = consentEvent(policy, refOf.get(midway)!, 'withdrawn', 3);
    await services.consent.append(withdrawal);
    await startPropagation(client, config.taskQueue, {
      v: 1,
      changeId: withdrawal.id,
      kind: 'withdrawn',
      subjectRef: withdrawal.subjectRef,
      purpose: withdrawal.purpose,
      channel: withdrawal.channel,
    });
    console.log(`\n${midway.id} withdrew newsletter consent on the preference centre mid-journey (propagated)`);

    await client.workflow.getHandle(campaignWorkflowId(CAMPAIGN)).result();
    const enrolled = [...refOf.values()];
    const outcomes = new Map(
      await Promise.all(
        enrolled.map(
          async (ref) =>
            [
              ref,
              (await client.workflow
                .getHandle(journeyWorkflowId(CAMPAIGN, ref))
                .result()
                .catch(() => undefined)) as JourneyState | undefined,
            ] as const,
        ),
      ),
    );
    cli(dataDir, ['campaign', 'status', CAMPAIGN]);
    cli(dataDir, ['campaign', 'reconcile', CAMPAIGN]);

    console.log('\nwhat happened to each person (from the decision log; subjects appear there only as subjectRefs):');
    for (const [p, ref] of refOf) {
      const entries = [];
      for await (const e of services.log.query({ subjectRef: ref, campaignId: CAMPAIGN })) entries.push(e);
      const sent = entries.filter((e) => e.kind === 'delivery' && e.outcome === 'sent').length;
      const denied = entries
        .filter((e) => e.kind === 'decision' && e.outcome === 'deny')
        .map((e) => `${e.stepId}: ${e.reasons.join('+')}`);
      const files = stack.sink?.received.filter((m) => m.envelopeTo.includes(p.fields.email!)).map((m) => m.file) ?? [];
      const exit = outcomes.get(ref)?.exitReason;
      const notEnrolled = entries.find((e) => e.kind === 'outcome' && e.stepId === 'enrol');
      const status = notEnrolled
        ? `${notEnrolled.outcome.replace('_', ' ')} (${notEnrolled.reasons.join(', ')}): not enrolled, logged`
        : `sent ${sent}${denied.length ? `, blocked ${denied.join(', ')}` : ''}${exit ? `, journey exited early: ${exit} (logged)` : ''}`;
      console.log(`  ${p.id} ${ref}  ${status.padEnd(58)} ${p.note}`);
      for (const f of files) console.log(`      ${f}`);
    }
    await runSmsStep({
      services,
      policy,
      client,
      smsc: stack.smsc,
      people: smsPeople,
      cli: (args) => cli(dataDir, args),
      timeScale: TIME_SCALE,
    });

    const exportFile = join(dataDir, 'decision-log.jsonl');
    rmSync(exportFile, { force: true });
    cli(dataDir, ['log', 'verify']);
    cli(dataDir, ['log', 'export', '--format', 'jsonl', '--out', exportFile]);
    // The compliance review of the demo period. The worker lives in this process and cli() blocks it, so the run is
    // started without waiting and awaited here.
    const started = JSON.parse(
      cli(dataDir, [
        'review',
        'run',
        '--since',
        demoStart.toISOString(),
        '--until',
        new Date(Date.now() + 1000).toISOString(),
        '--no-wait',
        '--json',
      ]),
    ) as { workflowId: string };
    await client.workflow.getHandle(started.workflowId).result();
    const review = cli(dataDir, ['review', 'show', '--latest']);
    const reportPath = /report: (\S+)/.exec(review)?.[1];
    // The demo is the product's promise end to end: a review that does not pass fails it (and CI with it).
    if (!/ {2}PASS {2}/.test(review)) throw new Error('the compliance review of the demo period did not pass');
    console.log(
      `\nemails: ${stack.sink?.outbox ?? stack.smtpUrl}\ntext messages: ${stack.smsc?.outbox ?? stack.smppUrl}\ndecision log export: ${exportFile}\ncompliance review report: ${reportPath ?? '(see consentflow review show --latest)'}`,
    );
  } finally {
    clearDevRuntime(dataDir);
    redis.disconnect();
    await client.connection.close();
    await running.shutdown();
    await stack.stop();
  }
}

async function waitFor<T>(fn: () => T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`demo failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
