import { Redis } from 'ioredis';
import type { AppConfig } from '../../infra/config.js';
import { DecisionLog } from '../../infra/redis/decision-log.js';

/** A decision log whose Redis cannot be reached: every append fails within half a second, as in an outage. */
export function unreachableLog(config: AppConfig, prefix: string): { log: DecisionLog; close(): void } {
  const dead = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  dead.on('error', () => {});
  const log = new DecisionLog({
    redis: dead,
    keyPrefix: prefix,
    logKey: config.secrets.logKey,
    partitions: 4,
    dataDir: config.dataDir,
    timeoutMs: 500,
  });
  return { log, close: () => dead.disconnect() };
}
