import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { ApiApp } from '../../api/deps.js';
import { buildApi } from '../../api/server.js';
import { ApiKeyring } from '../../api/auth.js';
import { createServices } from '../../infra/compose.js';
import { policy } from '../../policy/index.js';
import { loadNoticeTexts } from '../../infra/notices/notice-texts.js';
import { exampleRoot } from '../helpers/example-workspace.js';
import { createLogger } from '../../infra/logging.js';
import { rightsStores } from '../../infra/subject-request-deps.js';
import { testConfig } from '../helpers/config.js';
import { testRedis, testTemporal, uniqueId } from '../helpers/services.js';

const lines: string[] = [];
const sink = new Writable({
  write: (chunk: Buffer, _enc, done) => (lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)), done()),
});
const { redis, prefix } = testRedis();
const config = testConfig({ REDIS_KEY_PREFIX: prefix });
const secret = 'marketer-secret-0123456789abcdef';
let app: ApiApp;
let connection: Connection;

before(async () => {
  connection = Connection.lazy({ address: testTemporal().address });
  app = await buildApi({
    config,
    services: createServices(config, redis, policy),
    rights: rightsStores(config, redis),
    taskQueue: 'unused',
    notices: loadNoticeTexts(join(exampleRoot, 'policy'), policy.notices),
    campaignInfo: () => undefined,
    temporal: new Client({ connection, namespace: testTemporal().namespace }),
    keyring: new ApiKeyring([
      { name: 'test-marketer', role: 'marketer', secret },
      { name: 'test-admin', role: 'admin', secret: `admin-${secret}` },
    ]),
    logger: createLogger({ name: 'consentflow-api', destination: sink }),
  });
});
after(async () => {
  await app.close();
  await connection.close();
});

test('the API request log is JSON with method, path and status, and holds no token, key, subject id or address', async () => {
  const subjectId = uniqueId('secret-subject');
  const address = `${uniqueId('log')}@example.org`;
  const token = `v1.${'Q'.repeat(60)}`;
  const grant = await app.inject({
    method: 'POST',
    url: `/v1/consents?subjectId=${subjectId}`,
    headers: { authorization: `Bearer ${secret}` },
    payload: {
      subjectId,
      action: 'grant',
      purpose: 'marketing.email.newsletter',
      channel: 'email',
      language: 'en',
      collectionPoint: 'signup-form',
      jurisdiction: 'EU',
      email: address,
    },
  });
  assert.ok(grant.statusCode < 500, grant.body);
  await app.inject({ method: 'GET', url: `/why/${token}` });
  await app.inject({ method: 'GET', url: `/u/${token}?email=${address}` });
  await app.inject({
    method: 'GET',
    url: `/v1/subjects/${subjectId}/propagation`,
    headers: { authorization: `Bearer admin-${secret}` },
  });
  const entries = lines.map(
    (l) => JSON.parse(l) as { msg: string; req?: { url: string; method: string }; res?: { statusCode: number } },
  );
  const completed = entries.filter((e) => e.msg === 'request completed');
  assert.equal(completed.length, 4, lines.join('\n'));
  assert.ok(completed.every((e) => typeof e.res?.statusCode === 'number'));
  const urls = entries.flatMap((e) => (e.req ? [e.req.url] : []));
  assert.ok(
    urls.includes('/v1/consents?…') &&
      urls.includes('/why/…') &&
      urls.includes('/u/…?…') &&
      urls.includes('/v1/subjects/…/propagation'),
    urls.join(' '),
  );
  const all = lines.join('\n');
  for (const secretText of [subjectId, address, token, secret])
    assert.ok(!all.includes(secretText), `log leaks ${secretText.slice(0, 12)}…`);
});
