// API conformance: starts `consentflow dev` on a private data dir, runs schemathesis with every check against
// /openapi.json as admin, as reviewer and without a key, and stops everything by PID however the run ends.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../infra/embedded/process.js';
import { obtainSchemathesis } from '../infra/embedded/schemathesis.js';

const root = join(import.meta.dirname, '..');
// Bounded: enough examples per operation to find shape mistakes, small enough for CI (override for a deeper run).
const MAX_EXAMPLES = process.env.CF_SCHEMATHESIS_EXAMPLES ?? '25';

async function main(): Promise<number> {
  const st = obtainSchemathesis();
  const dataDir = join(root, '.data', `schemathesis-${process.pid}`);
  const port = await freePort();
  const key = (role: string) => `${role}-${randomBytes(18).toString('base64url')}`;
  const keys = { admin: key('admin'), marketer: key('marketer'), reviewer: key('reviewer') };
  const env = {
    ...process.env,
    CONSENTFLOW_DATA_DIR: dataDir,
    API_PORT: String(port),
    CONSENTFLOW_PUBLIC_URL: `http://127.0.0.1:${port}`,
    CONSENTFLOW_API_KEYS: Object.entries(keys)
      .map(([role, secret]) => `st-${role}:${role}:${secret}`)
      .join(','),
    // Conformance, not load: the limits are tested in test/api/rate-limits.test.ts.
    CONSENTFLOW_RATE_SUBJECT_PER_MIN: '1000000',
    CONSENTFLOW_RATE_CONSENT_PER_MIN: '1000000',
    CONSENTFLOW_RATE_API_PER_MIN: '1000000',
  };
  // The server's request log (two lines per generated request, thousands per mode) goes to a file, not the console:
  // it would bury the run's own results. Its tail is printed when something fails.
  mkdirSync(dataDir, { recursive: true });
  const devLog = join(dataDir, 'dev.log');
  const dev = spawn(process.execPath, [join(root, 'bin', 'consentflow.js'), 'dev', '--json'], {
    env,
    stdio: ['ignore', 'pipe', openSync(devLog, 'w')],
  });
  const printDevLogTail = (): void => {
    const lines = readFileSync(devLog, 'utf8').trimEnd().split('\n');
    console.error(
      `\n[schemathesis] last ${Math.min(40, lines.length)} lines of the server's log:\n${lines.slice(-40).join('\n')}`,
    );
  };
  const stop = (): void => {
    if (dev.exitCode === null) dev.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      dev.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('"api"')) resolve();
      });
      dev.once('exit', (code) => reject(new Error(`consentflow dev exited (${code}) before the API was up`)));
    });
    const url = `http://127.0.0.1:${port}`;
    let failed = 0;
    for (const [mode, header] of [
      ['admin', `Bearer ${keys.admin}`],
      ['reviewer', `Bearer ${keys.reviewer}`],
      ['no key', undefined],
    ] as const) {
      console.log(`\n[schemathesis] ${mode}`);
      const args = [
        'run',
        `${url}/openapi.json`,
        '--url',
        url,
        '--checks',
        'all',
        '--max-examples',
        MAX_EXAMPLES,
        '--seed',
        '42',
        '--no-color',
        ...(header ? ['--header', `Authorization: ${header}`] : []),
      ];
      // Run inside the private data dir: schemathesis keeps a cache next to where it runs, and it goes with that dir.
      const r = spawnSync(st, args, {
        stdio: 'inherit',
        cwd: dataDir,
        env: { ...process.env, SCHEMATHESIS_HOOKS: '' },
      });
      if (r.status !== 0) failed++;
    }
    if (failed > 0) printDevLogTail();
    console.log(`\n[schemathesis] ${failed === 0 ? 'all three runs passed' : `${failed} of 3 runs failed`}`);
    return failed === 0 ? 0 : 1;
  } catch (e) {
    printDevLogTail();
    throw e;
  } finally {
    stop();
    await new Promise((r) => (dev.exitCode === null ? dev.once('exit', r) : r(null)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  },
);
