import { randomBytes } from 'node:crypto';
import { buildConfig, parseEnv, type AppConfig } from '../../infra/config.js';

/** An AppConfig with fresh random secrets and the given key prefix, for one test file. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  const env = parseEnv({ CONSENTFLOW_DATA_DIR: process.env.CF_TEST_DATA_DIR ?? '.data/test', ...overrides });
  const k = () => randomBytes(32);
  return buildConfig(env, { masterKey: k(), pseudonymKey: k(), logKey: k(), tokenKey: k(), codecKey: k() });
}
