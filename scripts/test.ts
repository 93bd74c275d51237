// Test harness: starts one Redis and one Temporal dev server for the whole run, hands their addresses to the
// test files through the environment, runs node's test runner, and stops everything however the run ends.
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startRedis } from '../infra/embedded/redis.js';
import { startTemporal } from '../infra/embedded/temporal.js';
import { obtainTimeSkippingServer } from '../infra/embedded/test-server.js';
import { obtainChromium } from '../infra/embedded/chromium.js';
import { obtainPromtool } from '../infra/embedded/promtool.js';

const root = join(import.meta.dirname, '..');

// `npm test` runs *.test.ts; the slower suites, also run by CI, have their own suffix and script: the fault suite
// (`npm run test:fault`, *.fault.ts) and the installed-package suite (`npm run test:package`, *.package.ts).
function findTests(dir: string, suffix: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return findTests(full, suffix);
    return name.endsWith(suffix) ? [full] : [];
  });
}

function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  return fn().then((v) => {
    console.log(`[services] ${label} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    return v;
  });
}

async function main(): Promise<number> {
  const suffix = process.argv.includes('--fault')
    ? '.fault.ts'
    : process.argv.includes('--package')
      ? '.package.ts'
      : '.test.ts';
  const filters = process.argv.slice(2).filter((a) => a !== '--fault' && a !== '--package');
  const all = findTests(join(root, 'test'), suffix).sort();
  const files = filters.length ? all.filter((f) => filters.some((p) => relative(root, f).includes(p))) : all;
  if (files.length === 0) {
    console.error(
      `No test files match ${filters.join(' ')}. Test files live under test/ and end in .test.ts (.fault.ts with --fault, .package.ts with --package).`,
    );
    return 2;
  }
  const dataDir = join(root, '.data', `test-${process.pid}`);
  const timeSkipping = await timed('time-skipping test server (obtain)', async () => obtainTimeSkippingServer());
  const chromium = await timed('chromium (obtain)', async () => obtainChromium());
  const promtool = await timed('promtool (obtain)', async () => obtainPromtool());
  const redis = await timed('redis', () =>
    startRedis({ dataDir: join(dataDir, 'redis'), externalUrl: process.env.REDIS_URL }),
  );
  const temporal = await timed('temporal', () =>
    startTemporal({ namespace: 'default', externalAddress: process.env.TEMPORAL_ADDRESS }),
  ).catch(async (e: unknown) => {
    await redis.stop();
    throw e;
  });
  console.log(`[services] redis ${redis.url} (${redis.source}), temporal ${temporal.address} (${temporal.source})`);
  try {
    const concurrency = process.env.TEST_CONCURRENCY ?? '2';
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
      {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          CF_TEST_REDIS_URL: redis.url,
          CF_TEST_TEMPORAL_ADDRESS: temporal.address,
          CF_TEST_NAMESPACE: temporal.namespace,
          CF_TEST_DATA_DIR: dataDir,
          CF_TEST_TIME_SKIPPING_SERVER: timeSkipping,
          CF_TEST_PROMTOOL: promtool,
          CHROMIUM_PATH: chromium,
        },
      },
    );
    return await new Promise<number>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? 1 : 0))));
  } finally {
    await Promise.all([temporal.stop(), redis.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`[test] ${(e as Error).message}`);
    process.exit(1);
  },
);
