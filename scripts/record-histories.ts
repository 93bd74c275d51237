// Records workflow histories for the replay test: run after a deliberate workflow change, review the diff, commit.
// `npx tsx scripts/record-histories.ts [NAME…]` — starts its own services, writes test/fixtures/histories/*.history.pb
// (only the named ones when names are given, so histories recorded by older code stay as they were).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { Redis } from 'ioredis';
import { defineCampaign } from '../domain/campaign.js';
import { createServices } from '../infra/compose.js';
import { buildConfig, parseEnv } from '../infra/config.js';
import { startStack } from '../infra/embedded/stack.js';
import { controlCampaign } from '../infra/temporal/campaign-control.js';
import { startCampaign } from '../infra/temporal/campaign-runs.js';
import { connectClient } from '../infra/temporal/connection.js';
import { journeyStarter } from '../infra/temporal/journeys.js';
import { installRuntime } from '../infra/temporal/runtime.js';
import { openWorkspace } from '../infra/workspace/load.js';
import { startWorker, workerContent } from '../worker.js';
import { consentEvent, scheduledActivities } from '../test/helpers/engine.js';
import { registerJourneyRun } from '../test/helpers/journey-run.js';
import { REPLAY_CODEC_KEY } from '../test/fixtures/histories/replay-key.js';

const out = join(import.meta.dirname, '..', 'test', 'fixtures', 'histories');
const key = (b: number) => Buffer.alloc(32, b);

async function main(): Promise<void> {
  const only = new Set(process.argv.slice(2));
  const wanted = (name: string) => only.size === 0 || only.has(name);
  const dataDir = mkdtempSync(join(tmpdir(), 'cf-record-'));
  const env = parseEnv({ CONSENTFLOW_DATA_DIR: dataDir, CONSENTFLOW_CODEC_KEY_ID: 'replay-fixture' });
  const config = buildConfig(env, {
    masterKey: key(1),
    pseudonymKey: key(2),
    logKey: key(3),
    tokenKey: key(4),
    codecKey: Buffer.from(REPLAY_CODEC_KEY, 'hex'),
  });
  installRuntime();
  const stack = await startStack(env, { persistent: false });
  const content = workerContent(await openWorkspace(join(import.meta.dirname, '..')));
  const worker = await startWorker(
    config,
    { redisUrl: stack.redis.url, temporalAddress: stack.temporal.address, smtpUrl: stack.smtpUrl },
    { content },
  );
  const client = await connectClient(config, stack.temporal.address);
  const redis = new Redis(stack.redis.url);
  const s = createServices(config, redis, content.policy);
  try {
    const seed = async (id: string, fields: Record<string, string>, purpose: string) => {
      const r = await s.subjects.upsert(id, fields);
      if (r.status !== 'written') throw new Error('seed refused');
      await s.consent.append(consentEvent(r.ref, { purpose }));
      return r.ref;
    };
    const everyStep = defineCampaign({
      id: 'replay-every-step',
      name: 'Replay',
      description: 'every step type',
      purpose: 'marketing.email.newsletter',
      audience: { segment: 'newsletter-subscribers' },
      steps: [
        { id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' },
        { id: 'wait-1', type: 'wait', duration: '1s' },
        { id: 'daytime', type: 'waitUntil', window: { start: '00:00', end: '23:59' }, timezoneField: 'timezone' },
        {
          id: 'has-name',
          type: 'branch',
          condition: { kind: 'field', field: 'first_name', op: 'exists' },
          then: 'opened',
          otherwise: 'done',
        },
        {
          id: 'opened',
          type: 'branch',
          condition: { kind: 'event', event: 'opened', within: '2s' },
          then: 'done',
          otherwise: 'send-2',
        },
        { id: 'send-2', type: 'send', channel: 'email', template: 'welcome-2', processor: 'smtp-relay' },
        { id: 'done', type: 'exit' },
      ],
    });
    const start = journeyStarter(client, config.taskQueue);
    const a = await seed(
      'replay-a',
      { email: 'replay-a@example.org', first_name: 'Ana', timezone: 'Europe/Berlin' },
      'marketing.email.newsletter',
    );
    await start(`journey:${everyStep.id}:${a}`, {
      v: 1,
      campaign: everyStep,
      campaignVersion: 'replay',
      subjectRef: a,
    });
    await client.workflow.getHandle(`journey:${everyStep.id}:${a}`).result();

    const withdrawn = defineCampaign({
      ...everyStep,
      id: 'replay-withdrawn',
      steps: [everyStep.steps[0]!, { id: 'long', type: 'wait', duration: '1h' }, everyStep.steps[5]!],
    });
    const b = await seed(
      'replay-b',
      { email: 'replay-b@example.org', first_name: 'Ben' },
      'marketing.email.newsletter',
    );
    await start(`journey:${withdrawn.id}:${b}`, {
      v: 1,
      campaign: withdrawn,
      campaignVersion: 'replay',
      subjectRef: b,
    });
    const hb = client.workflow.getHandle(`journey:${withdrawn.id}:${b}`);
    await new Promise((r) => setTimeout(r, 2000));
    await hb.signal('consentChanged', { v: 1, kind: 'withdrawn', purpose: 'marketing.email.newsletter' });
    await hb.result();

    const promo = defineCampaign({
      id: 'replay-broadcast',
      name: 'Replay',
      description: 'broadcast',
      purpose: 'marketing.email.promotions',
      audience: { segment: 'loyal-members' },
      steps: [
        { id: 'send-promo', type: 'send', channel: 'email', template: 'promo-winter-sale', processor: 'smtp-relay' },
      ],
      options: { kind: 'broadcast' },
    });
    for (let i = 0; i < 5; i++)
      await seed(
        `replay-c${i}`,
        { email: `replay-c${i}@example.org`, first_name: `C${i}`, loyalty_tier: 'gold', preferred_store: 'Mitte' },
        'marketing.email.promotions',
      );
    // Several chunks in flight (the broadcast-overlap-v1 shape); broadcast.history.pb keeps the one-at-a-time shape.
    await startCampaign(
      client,
      promo,
      { segment: 'loyal-members' },
      { taskQueue: config.taskQueue, campaignVersion: 'replay', pageSize: 2, chunksInFlight: 2, runs: s.runs },
    );
    await client.workflow.getHandle(`campaign:${promo.id}`).result();

    // A journey of a recorded run, paused by its operator before its send, whose resume signal never comes: it reads
    // the run's flag at each recheck (hold-recheck-v1), first still paused, then lifted, and sends.
    const held = defineCampaign({
      ...everyStep,
      id: 'replay-held',
      steps: [{ id: 'wait-1', type: 'wait', duration: '2h' }, everyStep.steps[0]!],
    });
    const d = await seed(
      'replay-d',
      { email: 'replay-d@example.org', first_name: 'Dee' },
      'marketing.email.newsletter',
    );
    const heldRun = `replay-held-run`;
    const heldId = `journey:${held.id}:${d}`;
    await registerJourneyRun(s.runs, { runId: heldRun, campaignId: held.id, sendSteps: ['send-1'] }, d, heldId);
    // An hour is 0.36 s here: the two-hour wait 0.72 s, each recheck 0.36–0.42 s.
    await start(heldId, {
      v: 1,
      campaign: held,
      campaignVersion: 'replay',
      subjectRef: d,
      runId: heldRun,
      timeScale: 1e-4,
    });
    await controlCampaign(client, s.runs, held.id, 'pause');
    const hd = client.workflow.getHandle(heldId);
    const rechecks = async () => (await scheduledActivities(hd)).filter((name) => name === 'journeyHeld').length;
    // The read at the start, then at least one recheck that finds the run still paused.
    while ((await rechecks()) < 2) await new Promise((r) => setTimeout(r, 100));
    await s.runs.journeys.setPaused(heldRun, false);
    await hd.result();

    for (const [name, id] of [
      ['journey-every-step-accounting', `journey:${everyStep.id}:${a}`],
      ['journey-withdrawn-accounting', `journey:${withdrawn.id}:${b}`],
      ['broadcast-overlap', `campaign:${promo.id}`],
      ['journey-held-recheck', heldId],
    ] as const) {
      if (!wanted(name)) continue;
      const history = await client.workflow.getHandle(id).fetchHistory();
      // Binary protobuf: exactly what the server returned, decoded by the replay test with the same type.
      writeFileSync(join(out, `${name}.history.pb`), proto.temporal.api.history.v1.History.encode(history).finish());
      console.log(`recorded ${name}: ${history.events?.length} events`);
    }
  } finally {
    redis.disconnect();
    await client.connection.close();
    await worker.shutdown();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  },
);
