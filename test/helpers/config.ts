import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { buildConfig, parseEnv, type AppConfig } from '../../infra/config.js';

/** An AppConfig with fresh random secrets and the given key prefix, for one test file. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  // Each config gets its own data dir: log witnesses and segments are keyed to the config's random log key.
  const env = parseEnv({
    CONSENTFLOW_DATA_DIR: join(process.env.CF_TEST_DATA_DIR ?? '.data/test', `cfg-${randomBytes(6).toString('hex')}`),
    ...overrides,
  });
  const k = () => randomBytes(32);
  return buildConfig(env, { masterKey: k(), pseudonymKey: k(), logKey: k(), tokenKey: k(), codecKey: k() });
}
