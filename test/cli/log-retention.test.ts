import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { registerLogCommands } from '../../cli/log.js';
import { DecisionLog } from '../../infra/redis/decision-log.js';
import { removeSegments, segmentsPastRetention } from '../../infra/redis/decision-log-retention.js';
import { decision } from '../infra/redis/fixtures/decision-log-fixture.js';
import { runCli, testCliContext } from '../helpers/cli-harness.js';
import { testRedis, uniqueId } from '../helpers/services.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('log verify passes after retention removed sealed segments and names each removed range as removed by retention', async () => {
  const { redis, prefix } = testRedis();
  const base = testCliContext(redis, prefix);
  const config = {
    ...base.config(),
    dataDir: join(process.env.CF_TEST_DATA_DIR ?? '.data/test', uniqueId('log-retention')),
  };
  const ctx = { ...base, config: () => config };
  const log = DecisionLog.fromConfig(config, redis);
  await log.appendBatch(Array.from({ length: 30 }, (_, i) => decision(i)));
  await sleep(5);
  const cut = new Date();
  await sleep(5);
  await log.appendBatch(Array.from({ length: 10 }, (_, i) => decision(100 + i)));
  await log.seal(cut);
  const removed = await removeSegments(
    log.opts,
    (await segmentsPastRetention(log.opts, cut)).map((s) => s.file),
  );
  assert.ok(removed.length > 0);

  const human = await runCli(ctx, [registerLogCommands], ['log', 'verify', '--no-witness']);
  assert.equal(human.code, 0, human.stdout + human.stderr);
  assert.match(human.stdout, /^ok: \d+ entries in \d+ chains \(0 sealed segments\) verify/);
  const lines = human.stdout.split('\n').filter((l) => / removed by retention; verified from its kept hash$/.test(l));
  assert.equal(lines.length, removed.length, 'one line per chain that lost a prefix');
  assert.match(lines[0]!, /^ {2}chain \d+: seq 1\.\.\d+ \(\d+ entries, \S+ to \S+\)/);
  const json = await runCli(ctx, [registerLogCommands], ['log', 'verify', '--no-witness', '--json']);
  const report = JSON.parse(json.stdout) as { ok: boolean; removed: { count: number }[] };
  assert.equal(report.ok, true);
  assert.equal(
    report.removed.reduce((a, r) => a + r.count, 0),
    30,
  );
});
