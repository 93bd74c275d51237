import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceStartError, cacheDir, onPath } from './process.js';

/** The Java time-skipping test server from Maven Central (one clock, no schedules: run its tests serially). */
export const TEST_SERVER_VERSION = '1.31.0';

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.consentflow</groupId><artifactId>temporal-test-server-fetch</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${TEST_SERVER_VERSION}</version></dependency>
  </dependencies>
</project>
`;

/**
 * Returns an executable that starts the time-skipping test server, fetching its jars with Maven into the cache
 * once. `test/helpers/time-skipping.ts` runs it as `<launcher> <port>` and stops it by PID.
 */
export function obtainTimeSkippingServer(): string {
  const dir = join(cacheDir(), `temporal-test-server-${TEST_SERVER_VERSION}`);
  const lib = join(dir, 'lib');
  const launcher = join(dir, 'run.sh');
  if (existsSync(launcher) && existsSync(lib) && readdirSync(lib).some((f) => f.startsWith('temporal-test-server')))
    return launcher;
  const java = onPath('java');
  if (!java)
    throw new ServiceStartError(
      'java is not on PATH; the time-skipping tests need a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless).',
    );
  if (!onPath('mvn'))
    throw new ServiceStartError(
      `mvn is not on PATH; install Maven so consentflow can fetch io.temporal:temporal-test-server:${TEST_SERVER_VERSION} into ${dir}.`,
    );
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pom.xml'), POM);
  const r = spawnSync(
    'mvn',
    ['-q', '-B', '-f', join(dir, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10 * 60_000 },
  );
  if (r.status !== 0) {
    throw new ServiceStartError(
      `fetching the Temporal test server with Maven failed (${(r.stderr?.toString() ?? '').trim().split('\n').slice(-2).join(' | ') || `exit ${r.status}`}); check access to Maven Central.`,
    );
  }
  writeFileSync(launcher, `#!/bin/sh\nexec "${java}" -Xmx512m -cp "${lib}/*" io.temporal.testserver.TestServer "$@"\n`);
  chmodSync(launcher, 0o755);
  return launcher;
}
