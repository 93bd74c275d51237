import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceStartError, aptInstall, cacheDir, onPath } from './process.js';

/** The schemathesis release the conformance run is pinned to (PyPI). */
export const SCHEMATHESIS_VERSION = '4.32.5';

/**
 * The `st` binary of a cached virtualenv, created on first use with `python3 -m venv` and `pip install` from PyPI;
 * python3-venv comes from apt when it is missing and we are root.
 */
export function obtainSchemathesis(): string {
  const venv = join(cacheDir(), `schemathesis-${SCHEMATHESIS_VERSION}`);
  const st = join(venv, 'bin', 'st');
  // The marker is written last, so an interrupted install is redone rather than half used.
  const done = join(venv, '.installed');
  if (existsSync(done) && existsSync(st)) return st;
  if (!onPath('python3') && !aptInstall('python3-venv', 'python3 not found'))
    throw new ServiceStartError('python3 is needed for the schemathesis run; install python3 and python3-venv.');
  if (spawnSync('python3', ['-m', 'venv', '--help'], { stdio: 'ignore' }).status !== 0)
    aptInstall('python3-venv', 'python3 -m venv is unavailable');
  rmSync(venv, { recursive: true, force: true });
  const run = (cmd: string, args: string[]): void => {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0)
      throw new ServiceStartError(
        `\`${cmd} ${args.join(' ')}\` failed (exit ${r.status}); check that PyPI is reachable and python3-venv is installed`,
      );
  };
  run('python3', ['-m', 'venv', venv]);
  run(join(venv, 'bin', 'pip'), [
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `schemathesis==${SCHEMATHESIS_VERSION}`,
  ]);
  writeFileSync(done, `${SCHEMATHESIS_VERSION}\n`);
  return st;
}
