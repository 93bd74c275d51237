import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { connectRedis } from '../infra/redis/connect.js';
import { connectClient } from '../infra/temporal/connection.js';
import { buildConfig, ConfigError, parseEnv, type AppConfig } from '../infra/config.js';
import { keyringPath, loadDevKeys } from '../infra/dev-keys.js';
import { redisKeys, type RedisKeys } from '../infra/redis/keys.js';
import { createServices } from '../infra/compose.js';
import type { CliContext } from './context.js';
import { workspaceAccess } from './workspace-access.js';
import { readDevRuntime } from './runtime-file.js';
import { resolveActor } from './actor.js';

/** The real CLI context: config parsed once on first use, clients opened lazily and closed by `close()`. */
export function makeCliContext(): CliContext {
  let config: AppConfig | undefined;
  let redis: Redis | undefined;
  let temporal: Promise<Client> | undefined;
  const getConfig = (): AppConfig => {
    if (config) return config;
    const env = parseEnv(process.env);
    config = buildConfig(
      env,
      loadDevKeys(env.CONSENTFLOW_DATA_DIR, false, keyringPath(env.CONSENTFLOW_DATA_DIR, env.CONSENTFLOW_KEYRING_FILE)),
    );
    return config;
  };
  const fromDev = (what: 'redisUrl' | 'temporalAddress' | 'smtpUrl', envName: string): string => {
    const cfg = getConfig();
    const explicit =
      what === 'redisUrl'
        ? cfg.env.REDIS_URL
        : what === 'temporalAddress'
          ? cfg.env.TEMPORAL_ADDRESS
          : cfg.env.SMTP_URL;
    if (explicit) return explicit;
    const rt = readDevRuntime(cfg.dataDir);
    if (rt) return rt[what];
    throw new ConfigError(
      `${envName} is not set and no \`consentflow dev\` is running for ${cfg.dataDir}. Set ${envName}, or start \`consentflow dev\` in another terminal.`,
    );
  };
  const ws = workspaceAccess();
  const ctx: CliContext = {
    config: getConfig,
    selectWorkspace: (dir) => ws.select(dir),
    workspace: () => ws.workspace(),
    workspacePaths: () => ws.paths(),
    policy: () => ws.policy(),
    async services() {
      return createServices(getConfig(), ctx.redis(), await ws.policy());
    },
    keys: (): RedisKeys => redisKeys(getConfig().redisKeyPrefix),
    redisUrl: () => fromDev('redisUrl', 'REDIS_URL'),
    temporalAddress: () => fromDev('temporalAddress', 'TEMPORAL_ADDRESS'),
    smtpUrl: () => fromDev('smtpUrl', 'SMTP_URL'),
    redis(): Redis {
      if (redis) return redis;
      const url = fromDev('redisUrl', 'REDIS_URL');
      redis = connectRedis(
        url,
        {
          maxRetriesPerRequest: 2,
          connectTimeout: 5000,
          commandTimeout: 10_000,
          retryStrategy: (n) => (n > 3 ? null : 200),
        },
        getConfig().redisCluster,
      );
      redis.on('error', () => {}); // surfaced by the failing command instead
      return redis;
    },
    temporal(): Promise<Client> {
      temporal ??= connectClient(getConfig(), fromDev('temporalAddress', 'TEMPORAL_ADDRESS')).catch((e: unknown) => {
        throw new ConfigError(
          `cannot reach Temporal at ${fromDev('temporalAddress', 'TEMPORAL_ADDRESS')} (${(e as Error).message}); start \`consentflow dev\` or fix TEMPORAL_ADDRESS`,
        );
      });
      return temporal;
    },
    actor(flag) {
      // "dev" means this command talks to the local `consentflow dev` stack, not to configured services.
      const dev = !getConfig().env.REDIS_URL && readDevRuntime(getConfig().dataDir) !== undefined;
      return resolveActor({ flag, env: process.env, dev });
    },
    print(json, value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
    async close() {
      if (redis) await redis.quit().catch(() => redis?.disconnect());
      if (temporal) await temporal.then((c) => c.connection.close()).catch(() => undefined);
    },
  };
  return ctx;
}
