import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { freePort } from '../../../infra/embedded/process.js';
import { PrivateRedis } from '../../helpers/private-redis.js';
import { createPseudonymizer } from '../../../infra/crypto/pseudonym.js';
import { ConsentStore } from '../../../infra/redis/consent-store.js';
import { redisKeys } from '../../../infra/redis/keys.js';
import { consentEvent } from '../../helpers/consent-fixtures.js';

// A private redis-server we may kill -9: the shared test server must not be crashed under other test files.

test('killing redis-server (SIGKILL) during appends never leaves an event without its projection or vice versa', async () => {
  const port = await freePort();
  const redis = new PrivateRedis(port);
  after(() => redis.stop());
  await redis.start();
  const server = redis.child!;
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
        await store.append(
          consentEvent(r, { purpose, type: n % 3 === 0 ? 'withdrawn' : 'granted', collectionPoint: `w${i}-${n}` }),
        );
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

  await redis.start();
  const check = new Redis(port, '127.0.0.1');
  const recovered = new ConsentStore({ redis: check, keys });
  let events = 0;
  for (const r of refs) {
    const { matches } = await recovered.rebuildProjection(r);
    assert.ok(matches, `projection of ${r} diverged from its events after the crash`);
    events += (await recovered.events(r)).length;
  }
  // appendfsync always: every acknowledged append survived.
  assert.ok(events >= acked, `lost acknowledged events: ${events} < ${acked}`);
  check.disconnect();
  client.disconnect();
});
