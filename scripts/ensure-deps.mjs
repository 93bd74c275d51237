// Installs npm dependencies on a fresh clone, and skips the install when the lockfile is already satisfied.
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
if (!fresh) {
  const started = Date.now();
  console.error('[setup] installing npm dependencies (npm ci)…');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(
      '[setup] npm ci failed: check network access to the npm registry, then run `npm ci` by hand to see the full error.',
    );
    process.exit(r.status ?? 1);
  }
  console.error(`[setup] npm dependencies installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}
