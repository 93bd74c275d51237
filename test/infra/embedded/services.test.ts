import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Connection } from '@temporalio/client';
import { testRedis, testTemporal } from '../../helpers/services.js';
import { SEARCH_ATTRIBUTES } from '../../../infra/embedded/temporal.js';

test('the run has a real Redis with AOF fsync always', async () => {
  const { redis, prefix } = testRedis();
  await redis.set(`${prefix}k`, 'v');
  assert.equal(await redis.get(`${prefix}k`), 'v');
  const [, fsync] = (await redis.config('GET', 'appendfsync')) as string[];
  const [, aof] = (await redis.config('GET', 'appendonly')) as string[];
  if (!process.env.REDIS_URL) {
    assert.equal(fsync, 'always');
    assert.equal(aof, 'yes');
  }
});

test('the run has a real Temporal dev server with the consentflow search attributes', async () => {
  const { address, namespace } = testTemporal();
  const conn = await Connection.connect({ address });
  try {
    const res = await conn.operatorService.listSearchAttributes({ namespace });
    for (const name of Object.keys(SEARCH_ATTRIBUTES))
      assert.ok(name in (res.customAttributes ?? {}), `${name} is registered`);
  } finally {
    await conn.close();
  }
});
