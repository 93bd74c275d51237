import { policy } from '../../policy/index.js';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SubjectRef } from '../../domain/ids.js';
import { createServices } from '../../infra/compose.js';
import { buildConfig, parseEnv, type AppConfig } from '../../infra/config.js';
import { loadDevApiKeys } from '../../infra/dev-api-keys.js';
import { loadDevKeys } from '../../infra/dev-keys.js';
import { LinkTokens } from '../../infra/tokens.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { testRedis, uniqueId } from '../helpers/services.js';

const { redis, url, prefix } = testRedis();
const dataDir = join(process.env.CF_TEST_DATA_DIR ?? '.data/test', uniqueId('keys'));
const env = { REDIS_URL: url, REDIS_KEY_PREFIX: prefix, CONSENTFLOW_DATA_DIR: dataDir, CONSENTFLOW_ACTOR: 'ops-alice' };
loadDevKeys(dataDir, true);
loadDevApiKeys(dataDir, true);
const configNow = (): AppConfig => buildConfig(parseEnv(env), loadDevKeys(dataDir, false));
const withJson = (r: CliRun) => ({ ...r, json: () => JSON.parse(r.stdout) as Record<string, unknown> });
const cli = async (...args: string[]) => withJson(await runCliInProcess(args, env));
const kidOf = (t: string): unknown =>
  (JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()) as { kid?: unknown }).kid;

test('keys rotate token: new links carry the new key id, links already mailed keep working', async () => {
  const before = configNow();
  const mailed = await new LinkTokens(before.secrets.rings.token).sign({
    scope: 'unsubscribe',
    sub: 'sr_AbCdEfGhIjKlMnOpQrStUv' as SubjectRef,
    purpose: 'p',
    channel: 'email',
  });
  // The real entry point once (the spawned smoke run of the keys commands); the rest run in process.
  const r = withJson(await runCli(['keys', 'rotate', 'token', '--json'], env, { timeoutMs: 120_000 }));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json().from, before.secrets.rings.token.current.id);
  const after = createServices(configNow(), redis, policy).tokens;
  assert.equal((await after.verify(mailed, 'unsubscribe')).ok, true);
  assert.equal(kidOf(await after.sign({ scope: 'why', sub: 'sr_AbCdEfGhIjKlMnOpQrStUv' as SubjectRef })), r.json().to);
  assert.equal((statSync(join(dataDir, 'keys.json')).mode & 0o777).toString(8), '600');
});

test('keys rotate codec: new payloads use the new key, payloads written under the old key still decode', async () => {
  const { dataConverter } = await import('../../infra/temporal/connection.js');
  const { defaultPayloadConverter } = await import('@temporalio/common');
  const before = configNow();
  const old = await dataConverter(before).payloadCodecs![0]!.encode([
    defaultPayloadConverter.toPayload({ ref: 'sr_x' }),
  ]);
  assert.equal((await cli('keys', 'rotate', 'codec')).code, 0);
  const after = configNow();
  assert.notEqual(after.secrets.codecKeyId, before.secrets.codecKeyId);
  const codec = dataConverter(after).payloadCodecs![0]!;
  assert.deepEqual(defaultPayloadConverter.fromPayload((await codec.decode(old))[0]!), { ref: 'sr_x' });
  const fresh = await codec.encode([defaultPayloadConverter.toPayload(1)]);
  assert.equal(Buffer.from(fresh[0]!.metadata!['encryption-key-id']!).toString(), after.secrets.codecKeyId);
});

test('keys rotate master then keys rewrap: every data key is re-wrapped, resumably, and the old key can be retired', async () => {
  const before = createServices(configNow(), redis, policy);
  const ids = Array.from({ length: 30 }, () => uniqueId('m'));
  for (const id of ids) await before.subjects.upsert(id, { email: `${id}@example.org`, first_name: 'Ada' });
  const oldId = configNow().secrets.rings.master.current.id;
  assert.equal((await cli('keys', 'rotate', 'master')).code, 0);
  const mid = createServices(configNow(), redis, policy);
  // An interrupted run: a third re-wrapped, then the command resumes and does only the rest.
  for (const id of ids.slice(0, 10)) assert.equal(await mid.subjects.rewrapDataKey(mid.pseudonymize(id)), 'rewrapped');
  const rewrap = await cli('keys', 'rewrap', '--json');
  assert.equal(rewrap.code, 0, rewrap.stderr);
  assert.equal(rewrap.json().rewrapped, 20);
  assert.equal((await cli('keys', 'rewrap', '--json')).json().rewrapped, 0, 'a second run has nothing left');
  const retired = await cli('keys', 'retire', 'master', oldId);
  assert.equal(retired.code, 0, retired.stderr);
  const after = createServices(configNow(), redis, policy);
  assert.deepEqual(
    configNow().secrets.rings.master.previous.map((k) => k.id),
    [],
  );
  for (const id of ids)
    assert.deepEqual(await after.subjects.readFields(after.pseudonymize(id), ['first_name']), {
      status: 'found',
      fields: { first_name: 'Ada' },
    });
});

test('keys rotate api --name issues a new secret and revokes the old one; every rotation is an operator entry in the log', async () => {
  const old = loadDevApiKeys(dataDir, false)!.find((k) => k.name === 'dev-admin')!.secret;
  const r = await cli('keys', 'rotate', 'api', '--name', 'dev-admin', '--json');
  assert.equal(r.code, 0, r.stderr);
  const now = loadDevApiKeys(dataDir, false)!;
  assert.equal(now.find((k) => k.name === 'dev-admin')!.secret, r.json().secret);
  assert.ok(!readFileSync(join(dataDir, 'api-keys.json'), 'utf8').includes(old));
  const log = await cli('log', 'query', '--kind', 'operator', '--json');
  assert.equal(log.code, 0, log.stderr);
  const results = (JSON.parse(log.stdout) as { entries: { result: string }[] }).entries.map((e) =>
    e.result.replace(/from=\S+ to=\S+/, 'from=… to=…'),
  );
  for (const k of ['token', 'codec', 'master'])
    assert.ok(results.includes(`actor=ops-alice rotated=${k} from=… to=…`), `${k} in ${results.join(' | ')}`);
  assert.ok(results.some((x) => x.startsWith('actor=ops-alice rotated=api') && x.endsWith('api_key=rotated')));
  assert.equal((await cli('log', 'verify')).code, 0);
});

test('keys refuses what it cannot rotate, naming why and what to do', async () => {
  const pseudonym = await cli('keys', 'rotate', 'pseudonym');
  assert.equal(pseudonym.code, 2);
  assert.match(pseudonym.stderr, /pseudonym key is not rotated/);
  assert.match(
    (await cli('keys', 'rotate', 'nope')).stderr,
    /"nope" is not a key; use one of master, codec, token, log, pseudonym, api/,
  );
  const fromEnv = await runCliInProcess(['keys', 'rotate', 'token'], {
    ...env,
    CONSENTFLOW_TOKEN_KEY: Buffer.alloc(32, 1).toString('base64'),
  });
  assert.equal(fromEnv.code, 2);
  assert.match(
    fromEnv.stderr,
    /CONSENTFLOW_TOKEN_KEY is set in the environment.*CONSENTFLOW_TOKEN_PREVIOUS_KEYS=id:key/,
  );
  assert.match((await cli('keys', 'retire', 'token', 'missing-id')).stderr, /token has no previous key missing-id/);
});
