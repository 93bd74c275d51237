import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { ApiKeyring, parseApiKeys, type ApiKeySpec } from '../api/auth.js';
import { buildApi, type ApiDeps } from '../api/server.js';
import { ConfigError, type AppConfig } from '../infra/config.js';
import { assertProductionReady } from '../infra/production-checks.js';
import type { Workspace } from '../infra/workspace/load.js';
import { createServices } from '../infra/compose.js';
import { complaintIntakeFor } from '../infra/complaints/compose.js';
import { createProcessMetrics } from '../infra/metrics/provider.js';
import { loadDevApiKeys } from '../infra/dev-api-keys.js';
import { createLogger } from '../infra/logging.js';
import { onShutdown } from '../infra/embedded/process.js';
import { rightsStores } from '../infra/subject-request-deps.js';
import { loadNoticeTexts, type NoticeTexts } from '../infra/notices/notice-texts.js';
import type { PolicyBundle } from '../domain/policy.js';
import { failureLine } from '../domain/load-result.js';
import { CliUsageError, type RegisterCommands } from './context.js';

/** The API keys from CONSENTFLOW_API_KEYS, else the dev keys file (created when `createDev`). */
export function apiKeySpecs(config: AppConfig, createDev: boolean): ApiKeySpec[] {
  if (config.env.CONSENTFLOW_API_KEYS) return parseApiKeys(config.env.CONSENTFLOW_API_KEYS);
  const dev = loadDevApiKeys(config.dataDir, createDev);
  if (!dev)
    throw new ConfigError(
      `no API keys: set CONSENTFLOW_API_KEYS=name:role:secret,... or run \`consentflow dev\` once to generate ${config.dataDir}/api-keys.json`,
    );
  return dev;
}

/** The workspace's verified notice texts; a text that is missing or altered is named on stderr and not served. */
export function workspaceNotices(ws: Workspace, policy: PolicyBundle): NoticeTexts {
  const texts = loadNoticeTexts(ws.paths.policy, policy.notices);
  for (const p of texts.problems) console.error(`✗ ${p.file}: ${p.message}`);
  return texts;
}

/** Composes the API's dependencies from config and open clients. */
export function apiDeps(
  config: AppConfig,
  redis: Redis,
  temporal: Client,
  keys: readonly ApiKeySpec[],
  ws: Workspace,
): ApiDeps {
  if (!ws.policy.ok) throw new CliUsageError(`the workspace policy does not load: ${failureLine(ws.policy)}`);
  const services = createServices(config, redis, ws.policy.value);
  const logger = createLogger({ name: 'consentflow-api' });
  const metrics = createProcessMetrics('consentflow-api');
  return {
    config,
    services,
    metrics,
    // One intake per process: the JSON route and, under `dev`, the sink's abuse mailbox count into the same meter.
    complaints: complaintIntakeFor(services, redis, { meter: metrics.meter, logger }),
    rights: rightsStores(config, redis),
    temporal,
    taskQueue: config.taskQueue,
    keyring: new ApiKeyring(keys),
    campaignInfo: (id) => (Object.hasOwn(ws.campaigns, id) ? ws.campaigns[id] : undefined),
    logger,
    notices: workspaceNotices(ws, ws.policy.value),
  };
}

/** Builds and starts the API on host:port; returns its URL and a closer. */
export async function startApi(
  deps: ApiDeps,
  host: string,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const app = await buildApi(deps);
  await app.listen({ host, port });
  return { url: `http://${host}:${port}`, close: () => app.close() };
}

/** `api`: the HTTP API alone, against configured Redis and Temporal (or a running `consentflow dev`). */
export const registerApiCommands: RegisterCommands = (program, ctx) => {
  program
    .command('api')
    .description(
      'serve the HTTP API (consents, preference centre, unsubscribe, why, subject requests, reviewer reads; OpenAPI at /openapi.json)',
    )
    .option('--port <port>', 'port to listen on (default: API_PORT or 8787)')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--json', 'print the address as JSON')
    .action(async (o: { port?: string; host: string; json?: boolean }) => {
      const config = ctx.config();
      assertProductionReady(config, 'API');
      const port = o.port === undefined ? config.env.API_PORT : Number(o.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new CliUsageError(`--port "${o.port}" must be a whole number from 1 to 65535`);
      const deps = apiDeps(
        config,
        ctx.redis(),
        await ctx.temporal(),
        apiKeySpecs(config, false),
        await ctx.workspace(),
      );
      const api = await startApi(deps, o.host, port);
      ctx.print(
        o.json,
        { url: api.url, openapi: `${api.url}/openapi.json` },
        () => `consentflow API on ${api.url} (OpenAPI: ${api.url}/openapi.json)`,
      );
      await new Promise<void>((resolve) =>
        onShutdown(async () => {
          await api.close();
          resolve();
        }),
      );
    });
};
