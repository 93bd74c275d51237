import assert from 'node:assert/strict';
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
import { testConfig } from '../helpers/config.js';
import { testTemporal } from '../helpers/services.js';

type Ready = { ready: boolean; checks: Record<'redis' | 'temporal' | 'decisionLog', { ok: boolean; error?: string }> };

// A Redis of its own: the test breaks it, which the run's shared server must never see.
const config = testConfig();
let redisService: RedisService;
let redis: Redis;
const connections: Connection[] = [];
const apps: ApiApp[] = [];

async function api(temporalAddress: string): Promise<ApiApp> {
  const connection = temporalAddress === testTemporal().address ? await Connection.connect({ address: temporalAddress }) : Connection.lazy({ address: temporalAddress });
  connections.push(connection);
  const app = await buildApi({
    config, services: createServices(config, redis, policy), rights: rightsStores(config, redis), taskQueue: 'unused', notices: loadNoticeTexts(join(exampleRoot, 'policy'), policy.notices),
    temporal: new Client({ connection, namespace: testTemporal().namespace }),
    keyring: new ApiKeyring([{ name: 'test-admin', role: 'admin', secret: 'admin-secret-0123456789abcdef' }]), campaignInfo: () => undefined,
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
  redis = new Redis(redisService.url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 200 });
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
  assert.deepEqual(Object.values(r.body.checks).map((c) => c.ok), [true, true, true]);
  assert.equal(await redis.exists(...Array.from({ length: config.logPartitions }, (_, p) => `${config.redisKeyPrefix}log:{p${p}}:entries`)), 0, 'the probe leaves the log untouched');
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
  assert.deepEqual([r.body.checks.redis.ok, r.body.checks.temporal.ok, r.body.checks.decisionLog.ok], [true, false, true]);
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});

test('readyz answers 503 naming Redis and the log when Redis is down; healthz stays 200', async () => {
  const app = await api(testTemporal().address);
  await redisService.stop();
  const r = await readyz(app);
  assert.equal(r.status, 503);
  assert.deepEqual([r.body.checks.redis.ok, r.body.checks.temporal.ok, r.body.checks.decisionLog.ok], [false, true, false]);
  assert.ok(r.body.checks.redis.error);
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});
