import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CliUsageError } from '../../cli/context.js';
import { lockDevDataDir } from '../../cli/dev-lock.js';
import { uniqueId } from '../helpers/services.js';

const dir = () => join(process.env.CF_TEST_DATA_DIR ?? '.data/test', uniqueId('lock'));

test('a data dir locked by a live process is refused, naming the pid and the fix', () => {
  const d = dir();
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'dev.lock'), String(process.ppid));
  assert.throws(
    () => lockDevDataDir(d),
    (e: unknown) =>
      e instanceof CliUsageError &&
      e.message ===
        `${d} is in use by another \`consentflow dev\` (pid ${process.ppid}); stop that one first, or set CONSENTFLOW_DATA_DIR to another folder`,
  );
});

test('a lock left by a process that is gone is taken over, and release removes only our own lock', () => {
  const d = dir();
  mkdirSync(d, { recursive: true });
  const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(d, 'dev.lock'), gone);
  const lock = lockDevDataDir(d);
  assert.ok(existsSync(join(d, 'dev.lock')));
  lock.release();
  assert.equal(existsSync(join(d, 'dev.lock')), false);
});
