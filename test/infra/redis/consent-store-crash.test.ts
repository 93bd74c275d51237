import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { obtainRedisServer } from '../../../infra/embedded/redis.js';
import { freePort, waitUntil } from '../../../infra/embedded/process.js';
import { createPseudonymizer } from '../../../infra/crypto/pseudonym.js';
import { ConsentStore } from '../../../infra/redis/consent-store.js';
import { redisKeys } from '../../../infra/redis/keys.js';
import { consentEvent } from '../../helpers/consent-fixtures.js';

// A private redis-server we may kill -9: the shared test server must not be crashed under other test files.
const dir = mkdtempSync(join(tmpdir(), 'cf-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function start(port: number): Promise<ChildProcess> {
  const child = spawn(obtainRedisServer().path, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
  await waitUntil('redis-server', async () => {
    const c = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {});
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  }, 15_000);
  return child;
}

test('killing redis-server (SIGKILL) during appends never leaves an event without its projection or vice versa', async () => {
  const port = await freePort();
  const server = await start(port);
  const keys = redisKeys('crash:');
  const ref = createPseudonymizer(Buffer.alloc(32, 7));
  const refs = Array.from({ length: 50 }, (_, i) => ref(`s${i}`));
  const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  const store = new ConsentStore({ redis: client, keys });
  let acked = 0;
  let stop = false;
  const writers = refs.map(async (r, i) => {
    for (let n = 0; !stop; n++) {
      const purpose = ['marketing.email.newsletter', 'marketing.sms.promotions'][n % 2]!;
      try {
        await store.append(consentEvent(r, { purpose, type: n % 3 === 0 ? 'withdrawn' : 'granted', collectionPoint: `w${i}-${n}` }));
        acked++;
      } catch {
        return;
      }
    }
  });
  await new Promise((res) => setTimeout(res, 400));
  // Listen before killing: the exit may be over before the writers have all noticed.
  const exited = new Promise((res) => server.once('exit', res));
  server.kill('SIGKILL');
  stop = true;
  await Promise.all(writers);
  await exited;
  assert.ok(acked > 50, `expected appends before the crash, got ${acked}`);

  const restarted = await start(port);
  after(() => restarted.kill('SIGTERM'));
  const check = new Redis(port, '127.0.0.1');
  const recovered = new ConsentStore({ redis: check, keys });
  let events = 0;
  for (const r of refs) {
    const { matches } = await recovered.rebuildProjection(r);
    assert.ok(matches, `projection of ${r} diverged from its events after the crash`);
    events += await check.xlen(keys.consentEvents(r));
  }
  // appendfsync always: every acknowledged append survived.
  assert.ok(events >= acked, `lost acknowledged events: ${events} < ${acked}`);
  check.disconnect();
  client.disconnect();
});
