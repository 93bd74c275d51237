import { resolve } from 'node:path';
import { buildConfig, parseEnv } from '../infra/config.js';
import { keyringPath, loadDevKeys } from '../infra/dev-keys.js';
import { freePort, onShutdown, ServiceStartError } from '../infra/embedded/process.js';
import { startCodecServer } from '../api/codec-server.js';
import { ApiKeyring } from '../api/auth.js';
import { dataConverter } from '../infra/temporal/connection.js';
import { startStack } from '../infra/embedded/stack.js';
import { installRuntime } from '../infra/temporal/runtime.js';
import { workerLogging } from '../infra/logging.js';
import { failureLine } from '../domain/load-result.js';
import { startWorker, workerContent, type WorkerContent } from '../worker.js';
import { CliUsageError, type CliContext, type RegisterCommands } from './context.js';
import { lockDevDataDir } from './dev-lock.js';
import { clearDevRuntime, writeDevRuntime } from './runtime-file.js';
import { Redis } from 'ioredis';
import { connectClient } from '../infra/temporal/connection.js';
import { apiDeps, apiKeySpecs, startApi } from './api.js';
import { ensureReviewSchedule } from '../infra/temporal/review-schedule.js';
import { ensureRetentionSchedule } from '../infra/temporal/retention-schedule.js';
import { ensureOperationsWatch } from '../infra/temporal/operations-watch-start.js';
import { parseDuration } from '../domain/duration.js';
import { assertProductionReady } from '../infra/production-checks.js';

/**
 * The content a worker serves from the CLI's workspace. A campaign or segment file that does not load is named on
 * stderr and left out (the rest keeps working); a policy that does not load stops the worker (fail closed).
 */
async function workspaceContent(ctx: CliContext): Promise<WorkerContent> {
  const ws = await ctx.workspace();
  for (const f of [...ws.campaignFailures, ...ws.otherFailures]) console.error(`warning: ${failureLine(f)} (left out)`);
  if (!ws.policy.ok) throw new CliUsageError(`the workspace policy does not load: ${failureLine(ws.policy)}`);
  return workerContent(ws);
}

/**
 * Registers `stop` for Ctrl-C/SIGTERM and serves until the worker ends. When a signal ended it, this waits on, so
 * the shutdown handler finishes stopping every service and exits 130/143 rather than the command returning 0 early.
 */
async function serveUntilStopped(done: Promise<void>, stop: () => Promise<void>): Promise<void> {
  let signalled = false;
  onShutdown(async () => {
    signalled = true;
    await stop();
  });
  await done;
  if (signalled) await new Promise<never>(() => undefined);
}

/** `dev` (everything embedded) and `worker` (against configured services). */
export const registerDevCommands: RegisterCommands = (program, ctx) => {
  program
    .command('dev')
    .description(
      'start Temporal, Redis, SMTP sink and a worker on this machine (embedded unless *_URL/TEMPORAL_ADDRESS are set)',
    )
    .option('--json', 'print the endpoints as JSON')
    .action(async (opts: { json?: boolean }) => {
      const env = parseEnv(process.env);
      const config = buildConfig(
        env,
        loadDevKeys(
          env.CONSENTFLOW_DATA_DIR,
          true,
          keyringPath(env.CONSENTFLOW_DATA_DIR, env.CONSENTFLOW_KEYRING_FILE),
        ),
      );
      const content = await workspaceContent(ctx);
      const lock = lockDevDataDir(config.dataDir);
      const logging = workerLogging(env.CONSENTFLOW_LOG_LEVEL);
      installRuntime(logging.runtimeLevel, {
        metricsAddress: env.CONSENTFLOW_TEMPORAL_METRICS_ADDR,
        logger: logging.logger,
      });
      // The UI decodes payloads through our codec endpoint; both listen on loopback only.
      const [uiPort, codecPort] = [await freePort(), await freePort()];
      const ui = { port: uiPort, codecEndpoint: `http://127.0.0.1:${codecPort}/codec` };
      const stack = await startStack(env, { persistent: true, ui }).catch((e: unknown) => {
        lock.release();
        throw e;
      });
      const running = await startWorker(
        config,
        {
          redisUrl: stack.redis.url,
          temporalAddress: stack.temporal.address,
          smtpUrl: stack.smtpUrl,
          smppUrl: stack.smppUrl,
        },
        { content },
      ).catch(async (e: unknown) => {
        await stack.stop();
        throw e;
      });
      const outbox = stack.sink ? resolve(stack.sink.outbox) : undefined;
      // The HTTP API with local keys (an admin, a marketer and a reviewer) generated once into the data dir.
      const apiKeys = apiKeySpecs(config, true);
      const apiRedis = new Redis(stack.redis.url, { maxRetriesPerRequest: 3, commandTimeout: 5000 });
      const apiClient = await connectClient(config, stack.temporal.address);
      const deps = apiDeps(config, apiRedis, apiClient, apiKeys, await ctx.workspace());
      // Feedback-loop reports sent to the abuse address become complaints, as the production listener makes them.
      stack.sink?.acceptAbuse(config.abuseAddress, (raw) => deps.complaints!.receiveArf(raw));
      const api = await startApi(deps, '127.0.0.1', env.API_PORT).catch(async (e: unknown) => {
        await apiClient.connection.close();
        apiRedis.disconnect();
        await running.shutdown();
        await stack.stop();
        throw new ServiceStartError(
          `the API could not listen on 127.0.0.1:${env.API_PORT} (${(e as Error).message}); set API_PORT to a free port`,
        );
      });
      const codec = await startCodecServer({
        codec: dataConverter(config).payloadCodecs![0]!,
        uiOrigin: `http://127.0.0.1:${uiPort}`,
        keyring: new ApiKeyring(apiKeys),
        port: codecPort,
      }).catch(async (e: unknown) => {
        await api.close();
        await apiClient.connection.close();
        apiRedis.disconnect();
        await running.shutdown();
        await stack.stop();
        throw new ServiceStartError(
          `the codec endpoint could not listen on 127.0.0.1:${codecPort} (${(e as Error).message})`,
        );
      });
      // The daily compliance review; an existing schedule (perhaps with another cadence) is left as it is.
      const review = await ensureReviewSchedule(apiClient, config.taskQueue).then(
        (r) => `schedule ${r.scheduleId} (${r.status})`,
        (e: unknown) => `schedule not created: ${(e as Error).message}`,
      );
      // The daily retention run (policy/retention.ts), likewise created once.
      const retention = await ensureRetentionSchedule(apiClient, config.taskQueue).then(
        (r) => `daily schedule (${r})`,
        (e: unknown) => `schedule not created: ${(e as Error).message}`,
      );
      // Log outages and subject-request deadlines: watched once per task queue, whoever started it first.
      const watch = await ensureOperationsWatch(apiClient, config.taskQueue, {
        tickMs: parseDuration(env.CONSENTFLOW_MONITOR_TICK),
      }).then(
        (r) => `operations watch ${r}`,
        (e: unknown) => `operations watch not started: ${(e as Error).message}`,
      );
      writeDevRuntime(config.dataDir, {
        pid: process.pid,
        redisUrl: stack.redis.url,
        temporalAddress: stack.temporal.address,
        smtpUrl: stack.smtpUrl,
        outbox,
        apiUrl: api.url,
      });
      const info = {
        ui: stack.temporal.uiUrl,
        codec: `${codec.url}/codec`,
        redis: stack.redis.url,
        temporal: stack.temporal.address,
        namespace: stack.temporal.namespace,
        taskQueue: config.taskQueue,
        smtp: stack.smtpUrl,
        outbox,
        smpp: stack.smsc ? `smpp://127.0.0.1:${stack.smsc.port}` : 'SMPP_URL',
        smsOutbox: stack.smsc ? resolve(stack.smsc.outbox) : undefined,
        dataDir: resolve(config.dataDir),
        startupSeconds: stack.timings,
        api: api.url,
        apiKeys,
        review,
        retention,
      };
      ctx.print(opts.json, info, () =>
        [
          'consentflow dev is running (Ctrl-C to stop):',
          `  redis      ${info.redis} (${stack.redis.source})`,
          `  temporal   ${info.temporal} namespace=${info.namespace} (${stack.temporal.source})`,
          `  worker     task queue ${info.taskQueue}`,
          `  ui         ${info.ui ?? 'none (an external Temporal, or no temporal CLI to serve it)'}${info.ui ? `  (payloads decoded by ${info.codec}, loopback only)` : ''}`,
          `  smtp       ${info.smtp}${outbox ? `  → .eml files in ${outbox}` : ''}`,
          ...(stack.sink
            ? [`             feedback reports (ARF) to ${config.abuseAddress} are taken as complaints`]
            : []),
          `  smpp       ${info.smpp}${info.smsOutbox ? `  → SMS as .json files in ${info.smsOutbox}` : ''}`,
          `  api        ${api.url}  (OpenAPI ${api.url}/openapi.json)`,
          ...apiKeys.map((k) => `             ${k.role.padEnd(8)} key: ${k.secret}`),
          `  review     ${review}; reports via \`consentflow review show\``,
          `  retention  ${retention}`,
          `  alerts     ${watch}; webhook ${env.CONSENTFLOW_ALERT_WEBHOOK_URL ?? 'off (CONSENTFLOW_ALERT_WEBHOOK_URL)'}`,
          `  data       ${info.dataDir}`,
          `  started in ${Object.entries(stack.timings)
            .map(([k, v]) => `${k} ${v.toFixed(1)}s`)
            .join(', ')}`,
        ].join('\n'),
      );
      await serveUntilStopped(running.done, async () => {
        clearDevRuntime(config.dataDir);
        await codec.close();
        await api.close();
        await apiClient.connection.close();
        await apiRedis.quit().catch(() => apiRedis.disconnect());
        await running.shutdown();
        await stack.stop();
        lock.release();
      });
    });

  program
    .command('worker')
    .description('run a worker against REDIS_URL, TEMPORAL_ADDRESS and SMTP_URL (or a running `consentflow dev`)')
    .action(async () => {
      const content = await workspaceContent(ctx);
      assertProductionReady(ctx.config(), 'worker');
      const logging = workerLogging(ctx.config().env.CONSENTFLOW_LOG_LEVEL);
      installRuntime(logging.runtimeLevel, {
        metricsAddress: ctx.config().env.CONSENTFLOW_TEMPORAL_METRICS_ADDR,
        logger: logging.logger,
      });
      // SMS goes out only through a configured gateway; without SMPP_URL, SMS sends fail closed (channel_transport_missing).
      const smppUrl = ctx.config().env.SMPP_URL;
      const running = await startWorker(
        ctx.config(),
        {
          redisUrl: ctx.redisUrl(),
          temporalAddress: ctx.temporalAddress(),
          smtpUrl: ctx.smtpUrl(),
          ...(smppUrl ? { smppUrl } : {}),
        },
        { content },
      );
      const watch = await ensureOperationsWatch(await ctx.temporal(), ctx.config().taskQueue, {
        tickMs: parseDuration(ctx.config().env.CONSENTFLOW_MONITOR_TICK),
      });
      console.error(
        `worker polling task queue ${ctx.config().taskQueue}${running.metricsUrl ? `; metrics at ${running.metricsUrl}` : ''}; operations watch ${watch}`,
      );
      await serveUntilStopped(running.done, () => running.shutdown());
    });
};
