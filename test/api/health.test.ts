import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { ApiKeyring } from '../../api/auth.js';
import type { ApiApp } from '../../api/deps.js';
import { buildApi } from '../../api/server.js';
import { createServices } from '../../infra/compose.js';
import { policy } from '../../policy/index.js';
import { loadNoticeTexts } from '../../infra/notices/notice-texts.js';
import { exampleRoot } from '../helpers/example-workspace.js';
import { freePort } from '../../infra/embedded/process.js';
import { startRedis, type RedisService } from '../../infra/embedded/redis.js';
import { rightsStores } from '../../infra/subject-request-deps.js';
import { buildConfig, type AppConfig } from '../../infra/config.js';
import { DecisionLog } from '../../infra/redis/decision-log.js';
import { keyRotationEntry } from '../../domain/operator-action.js';
import { testConfig } from '../helpers/config.js';
import { testTemporal } from '../helpers/services.js';

type Ready = { ready: boolean; checks: Record<'redis' | 'temporal' | 'decisionLog', { ok: boolean; error?: string }> };

// A Redis of its own: the test breaks it, which the run's shared server must never see.
const config = testConfig();
let redisService: RedisService;
let redis: Redis;
const connections: Connection[] = [];
const apps: ApiApp[] = [];

async function api(temporalAddress: string, cfg: AppConfig = config): Promise<ApiApp> {
  const connection =
    temporalAddress === testTemporal().address
      ? await Connection.connect({ address: temporalAddress })
      : Connection.lazy({ address: temporalAddress });
  connections.push(connection);
  const app = await buildApi({
    config: cfg,
    services: createServices(cfg, redis, policy),
    rights: rightsStores(cfg, redis),
    taskQueue: 'unused',
    notices: loadNoticeTexts(join(exampleRoot, 'policy'), policy.notices),
    temporal: new Client({ connection, namespace: testTemporal().namespace }),
    keyring: new ApiKeyring([{ name: 'test-admin', role: 'admin', secret: 'admin-secret-0123456789abcdef' }]),
    campaignInfo: () => undefined,
  });
  apps.push(app);
  return app;
}
const readyz = async (app: ApiApp) => {
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  return { status: res.statusCode, body: res.json() as Ready };
};

before(async () => {
  redisService = await startRedis({ dataDir: join(config.dataDir, 'redis') });
  // No offline queue (a down Redis must fail the check, not queue it), so connect before the first check.
  redis = new Redis(redisService.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => 200,
  });
  redis.on('error', () => {}); // the outage below is the point of the test
  await redis.connect();
});
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(connections.map((c) => c.close()));
  redis.disconnect();
  await redisService.stop();
});

test('readyz answers 200 when Redis, Temporal and a decision-log append probe all pass; it appends nothing', async () => {
  const app = await api(testTemporal().address);
  const r = await readyz(app);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(
    Object.values(r.body.checks).map((c) => c.ok),
    [true, true, true],
  );
  assert.equal(
    await redis.exists(
      ...Array.from({ length: config.logPartitions }, (_, p) => `${config.redisKeyPrefix}log:{p${p}}:entries`),
    ),
    0,
    'the probe leaves the log untouched',
  );
});

test('readyz answers 503 naming the decision log when Redis answers but refuses writes', async () => {
  const app = await api(testTemporal().address);
  await redis.config('SET', 'min-replicas-to-write', '1');
  try {
    const r = await readyz(app);
    assert.equal(r.status, 503);
    assert.equal(r.body.checks.redis.ok, true);
    assert.equal(r.body.checks.decisionLog.ok, false);
    assert.match(r.body.checks.decisionLog.error ?? '', /NOREPLICAS|EXECABORT/);
  } finally {
    await redis.config('SET', 'min-replicas-to-write', '0');
  }
  assert.equal((await readyz(app)).status, 200, 'ready again once writes are accepted');
});

test('readyz answers 503 naming Temporal when it does not answer; healthz stays 200', async () => {
  const app = await api(`127.0.0.1:${await freePort()}`);
  const r = await readyz(app);
  assert.equal(r.status, 503);
  assert.deepEqual(
    [r.body.checks.redis.ok, r.body.checks.temporal.ok, r.body.checks.decisionLog.ok],
    [true, false, true],
  );
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});

test('readyz answers 503 naming the log key after `keys rotate log` when this process still holds the old key, and 200 with the new ring', async () => {
  const before = testConfig({ REDIS_KEY_PREFIX: 'rot:' });
  const { masterKey, pseudonymKey, tokenKey, codecKey, rings } = before.secrets;
  const after = buildConfig(before.env, {
    masterKey,
    pseudonymKey,
    tokenKey,
    codecKey,
    logKey: { current: { id: 'log-next', key: randomBytes(32) }, previous: [rings.log.current] },
  });
  const stale = await api(testTemporal().address, before);
  await createServices(before, redis, policy).log.append(
    keyRotationEntry({ kind: 'token', fromKeyId: 'a', toKeyId: 'b', actor: 'ops', at: new Date() }),
  );
  assert.equal((await readyz(stale)).status, 200, 'ready while every chain is under its key');
  // The handover `keys rotate log` records: every chain moves to the new key.
  assert.ok((await DecisionLog.fromConfig(after, redis).handOver('ops')).handedOver >= 1);
  const r = await readyz(stale);
  assert.equal(r.status, 503);
  assert.deepEqual(
    [r.body.checks.redis.ok, r.body.checks.temporal.ok, r.body.checks.decisionLog.ok],
    [true, true, false],
  );
  assert.match(
    r.body.checks.decisionLog.error ?? '',
    /log key was rotated since it started; restart it with the current keyring/,
  );
  assert.equal(
    (await readyz(await api(testTemporal().address, after))).status,
    200,
    'a process started with the new ring is ready',
  );
});

test('readyz answers 503 naming Redis and the log when Redis is down; healthz stays 200', async () => {
  const app = await api(testTemporal().address);
  await redisService.stop();
  const r = await readyz(app);
  assert.equal(r.status, 503);
  assert.deepEqual(
    [r.body.checks.redis.ok, r.body.checks.temporal.ok, r.body.checks.decisionLog.ok],
    [false, true, false],
  );
  assert.ok(r.body.checks.redis.error);
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});
