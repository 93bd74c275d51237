import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { testRedis } from '../../helpers/services.js';
import { makeLog } from './fixtures/decision-log-fixture.js';

const child = join(import.meta.dirname, 'fixtures', 'decision-log-append-child.ts');

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`appender ${args[2]} exited with ${code}`))));
  });
}

test('several processes appending at once leave valid chains and lose no entry', async () => {
  const { redis, prefix, url } = testRedis();
  const workers = 4;
  const each = 400;
  await Promise.all(Array.from({ length: workers }, (_, w) => run([url, prefix, String(w), String(each)])));
  const log = makeLog(redis, prefix, { partitions: 3 });
  const report = await log.verify();
  assert.deepEqual(
    { ok: report.ok, entries: report.entries, breaks: report.breaks },
    { ok: true, entries: workers * each, breaks: [] },
  );
  const ids = new Set<string>();
  for await (const e of log.query()) ids.add(e.workflowId ?? '');
  for (let w = 0; w < workers; w++)
    for (let i = 0; i < each; i++) assert.ok(ids.has(`w${w}-${i}`), `w${w}-${i} is in the log`);
});
