import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { buildConfig, parseEnv, type AppConfig } from '../../infra/config.js';
import { loadDevKeys } from '../../infra/dev-keys.js';
import { keyStatus } from '../../infra/keyring.js';
import { DecisionLogUnavailableError } from '../../infra/redis/decision-log-errors.js';
import { DecisionLog } from '../../infra/redis/decision-log.js';
import { handoverMac } from '../../infra/redis/decision-log-mac.js';
import { decision } from '../infra/redis/fixtures/decision-log-fixture.js';
import { readChain, rotationIndex, type Rec } from '../infra/redis/fixtures/decision-log-rotation-fixture.js';
import { registerKeyCommands } from '../../cli/keys.js';
import { registerLogCommands } from '../../cli/log.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { runCli as runOnTestContext, testCliContext } from '../helpers/cli-harness.js';
import { testRedis, uniqueId } from '../helpers/services.js';

const { redis, url, prefix } = testRedis();
const dataDir = join(process.env.CF_TEST_DATA_DIR ?? '.data/test', uniqueId('keys-log'));
const env = {
  REDIS_URL: url,
  REDIS_KEY_PREFIX: prefix,
  CONSENTFLOW_DATA_DIR: dataDir,
  CONSENTFLOW_LOG_PARTITIONS: '2',
  CONSENTFLOW_ACTOR: 'ops-alice',
};
loadDevKeys(dataDir, true);
const configNow = (): AppConfig => buildConfig(parseEnv(env), loadDevKeys(dataDir, false));
// The rotation runs through the real entry point's context (env, keyring file); the many verifies after it run over
// a test context reading the same keyring file.
const ctx = { ...testCliContext(redis, prefix), config: configNow };
const cli = (...args: string[]) => runOnTestContext(ctx, [registerKeyCommands, registerLogCommands], args);
const mac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest('hex');
const setField = (canonical: string, index: number, value: unknown): string => {
  const arr = JSON.parse(canonical) as unknown[];
  arr[index] = value;
  return JSON.stringify(arr);
};

// Puts a chain and its head back exactly as they were (same stream ids), between tampering cases.
async function restore(
  r: Redis,
  key: string,
  recs: Rec[],
  headKey: string,
  head: Record<string, string>,
): Promise<void> {
  await r.del(key);
  for (const x of recs) await r.xadd(key, x.id, ...Object.entries(x.fields).flat());
  await r.del(headKey);
  await r.hset(headKey, head);
}
async function replace(r: Redis, key: string, recs: Rec[]): Promise<void> {
  await r.del(key);
  for (const x of recs) await r.xadd(key, x.id, ...Object.entries(x.fields).flat());
}

test('keys rotate log: append, rotate, append, verify clean; every kind of tampering fails verify naming the entry', async () => {
  const oldConfig = configNow();
  const oldId = oldConfig.secrets.rings.log.current.id;
  const oldLog = DecisionLog.fromConfig(oldConfig, redis);
  await oldLog.appendBatch(Array.from({ length: 30 }, (_, i) => decision(i)));

  const rotated = await runCliInProcess(['keys', 'rotate', 'log', '--json'], env);
  assert.equal(rotated.code, 0, rotated.stderr);
  const r = JSON.parse(rotated.stdout) as { from: string[]; to: string; handedOver: number; resumed: boolean };
  assert.deepEqual(
    { from: r.from, handedOver: r.handedOver, resumed: r.resumed },
    { from: [oldId], handedOver: 2, resumed: false },
  );
  const newConfig = configNow();
  assert.equal(newConfig.secrets.rings.log.current.id, r.to);
  assert.deepEqual(
    newConfig.secrets.rings.log.previous.map((k) => k.id),
    [oldId],
  );

  // Restarted processes hold the new ring and append; one still holding the old ring is refused.
  await DecisionLog.fromConfig(newConfig, redis).appendBatch(Array.from({ length: 30 }, (_, i) => decision(100 + i)));
  await assert.rejects(
    oldLog.appendBatch([decision(0), decision(1)]),
    (e: unknown) => e instanceof DecisionLogUnavailableError && e.reason === 'key_rotated',
  );
  const verify = await cli('log', 'verify');
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /^ok: 62 entries in 2 chains/);

  // The rotation is an operator action, and the review reports the log key's age and last rotation.
  const ops = await cli('log', 'query', '--kind', 'operator', '--json');
  const results = (JSON.parse(ops.stdout) as { entries: { result: string }[] }).entries.map((e) => e.result);
  assert.equal(
    results.filter((x) =>
      new RegExp(`^rotated=log from=${oldId} to=${r.to} commit=[0-9a-f]{64} actor=ops-alice$`).test(x),
    ).length,
    2,
  );
  const status = keyStatus(newConfig.secrets.rings, new Date()).find((k) => k.key === 'log')!;
  assert.deepEqual(
    { id: status.id, ageDays: status.ageDays, previous: status.previous },
    { id: r.to, ageDays: 0, previous: 1 },
  );
  assert.equal(status.lastRotatedAt, newConfig.secrets.rings.log.current.createdAt);

  const chain = newConfig.redisKeyPrefix + 'log:{p0}:entries';
  const headKey = newConfig.redisKeyPrefix + 'log:{p0}:head';
  const original = await readChain(redis, chain);
  const head = await redis.hgetall(headKey);
  const rot = rotationIndex(original);
  assert.ok(rot >= 3 && original.length - rot >= 4, 'chain 0 has entries on both sides of the rotation');
  const copy = (): Rec[] => original.map((x) => ({ id: x.id, fields: { ...x.fields } }));
  const newKey = newConfig.secrets.rings.log.current.key;
  const cases: { name: string; seq: number; kind: string; tamper: () => Promise<void> }[] = [
    {
      name: 'edited before the rotation',
      seq: 2,
      kind: 'modified',
      tamper: async () => {
        const recs = copy();
        recs[1]!.fields.e = setField(recs[1]!.fields.e!, 7, 'edited');
        await replace(redis, chain, recs);
      },
    },
    {
      name: 'edited after the rotation',
      seq: rot + 3,
      kind: 'modified',
      tamper: async () => {
        const recs = copy();
        recs[rot + 2]!.fields.e = setField(recs[rot + 2]!.fields.e!, 7, 'edited');
        await replace(redis, chain, recs);
      },
    },
    {
      name: 'deleted',
      seq: rot + 2,
      kind: 'deleted',
      tamper: async () => void (await redis.xdel(chain, original[rot + 1]!.id)),
    },
    {
      name: 'reordered',
      seq: rot + 2,
      kind: 'reordered',
      tamper: async () => {
        const recs = copy();
        [recs[rot + 1], recs[rot + 2]] = [recs[rot + 2]!, recs[rot + 1]!];
        await replace(
          redis,
          chain,
          recs.map((x, i) => ({ ...x, id: original[i]!.id })),
        );
      },
    },
    {
      name: 'a rotation entry not MACed by the old key',
      seq: rot + 1,
      kind: 'forged',
      tamper: async () => {
        const recs = copy();
        recs[rot]!.fields.h = mac(newKey, recs[rot]!.fields.e!);
        recs[rot]!.fields.n = handoverMac(newKey, recs[rot]!.fields.e!);
        let prev = recs[rot]!.fields.h;
        for (const x of recs.slice(rot + 1)) {
          x.fields.e = setField(x.fields.e!, 29, prev);
          x.fields.h = mac(newKey, x.fields.e);
          prev = x.fields.h;
        }
        await replace(redis, chain, recs);
      },
    },
    {
      name: 'the rotation entry removed',
      seq: rot + 1,
      kind: 'deleted',
      tamper: async () => void (await redis.xdel(chain, original[rot]!.id)),
    },
    {
      name: 'a truncated tail',
      seq: original.length - 1,
      kind: 'truncated',
      tamper: async () => void (await redis.xdel(chain, original.at(-1)!.id, original.at(-2)!.id)),
    },
  ];
  for (const c of cases) {
    await c.tamper();
    const broken = await cli('log', 'verify', '--no-witness');
    assert.equal(broken.code, 1, `${c.name}: ${broken.stdout}`);
    assert.match(broken.stdout, new RegExp(`^BROKEN:\\n  chain 0 at seq ${c.seq}\\b.*: ${c.kind}: `), c.name);
    await restore(redis, chain, original, headKey, head);
  }
  assert.equal((await cli('log', 'verify')).code, 0, 'restored, the log verifies again');
});

test('keys refuses to retire a log key, and says why', async () => {
  const retire = await cli('keys', 'retire', 'log', 'log-anything');
  assert.equal(retire.code, 2);
  assert.match(retire.stderr, /an old log key is never retired: verify checks the entries written under it/);
});

test('a log key set in the environment is rotated there; keys rotate log then records the handover', async () => {
  const [oldKey, newKey] = [Buffer.alloc(32, 0x21), Buffer.alloc(32, 0x22)];
  const envDir = join(process.env.CF_TEST_DATA_DIR ?? '.data/test', uniqueId('keys-log-env'));
  const base = { ...env, REDIS_KEY_PREFIX: `${prefix}env:`, CONSENTFLOW_DATA_DIR: envDir };
  loadDevKeys(envDir, true);
  const envCli = (vars: Record<string, string>) => {
    const config = buildConfig(parseEnv({ ...base, ...vars }), loadDevKeys(envDir, false));
    const c = { ...testCliContext(redis, config.redisKeyPrefix), config: () => config };
    return {
      config,
      run: (...args: string[]) => runOnTestContext(c, [registerKeyCommands, registerLogCommands], args),
    };
  };
  const before = envCli({ CONSENTFLOW_LOG_KEY: oldKey.toString('base64'), CONSENTFLOW_LOG_KEY_ID: 'env-log-1' });
  await DecisionLog.fromConfig(before.config, redis).appendBatch(Array.from({ length: 10 }, (_, i) => decision(i)));
  const refused = await before.run('keys', 'rotate', 'log');
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /CONSENTFLOW_LOG_KEY is set in the environment and every chain is already under it.*CONSENTFLOW_LOG_PREVIOUS_KEYS=id:key, then run `consentflow keys rotate log` again/,
  );
  const after = envCli({
    CONSENTFLOW_LOG_KEY: newKey.toString('base64'),
    CONSENTFLOW_LOG_KEY_ID: 'env-log-2',
    CONSENTFLOW_LOG_PREVIOUS_KEYS: `env-log-1:${oldKey.toString('base64')}`,
  });
  await assert.rejects(
    DecisionLog.fromConfig(after.config, redis).append(decision(1)),
    /is under log key env-log-1: the rotation to env-log-2 is not recorded there yet/,
  );
  const recorded = await after.run('keys', 'rotate', 'log', '--json');
  assert.equal(recorded.code, 0, recorded.stderr);
  assert.deepEqual(JSON.parse(recorded.stdout), {
    key: 'log',
    to: 'env-log-2',
    from: ['env-log-1'],
    handedOver: 2,
    partitions: 2,
    resumed: true,
  });
  await DecisionLog.fromConfig(after.config, redis).append(decision(1));
  assert.equal((await after.run('log', 'verify')).code, 0);
});
