import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseEnv } from '../../infra/config.js';
import { testConfig } from '../helpers/config.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';

test('email links point at the API port actually served when no public URL is configured', () => {
  assert.equal(testConfig({ API_PORT: '9911' }).publicUrl, 'http://127.0.0.1:9911');
  assert.equal(testConfig({}).publicUrl, 'http://127.0.0.1:8787');
});

test('a configured public URL wins over the API port, without a trailing slash', () => {
  assert.equal(
    testConfig({ API_PORT: '9911', CONSENTFLOW_PUBLIC_URL: 'https://prefs.shop.example/' }).publicUrl,
    'https://prefs.shop.example',
  );
});

test('the former bundle retention variable is refused, pointing at the policy field that is now the one window', () => {
  assert.throws(
    () => parseEnv({ CONSENTFLOW_DSAR_BUNDLE_RETENTION: '30d' }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(
        e.message,
        /CONSENTFLOW_DSAR_BUNDLE_RETENTION is no longer read: .*retention\.accessBundlesDays in the workspace policy \(policy\/retention\.ts\).*unset it/,
      );
      return true;
    },
  );
  assert.doesNotThrow(() => parseEnv({}));
});

test('a worker started with the former bundle retention variable stops at startup with that message and a non-zero exit', async () => {
  const run = await runCliInProcess(['worker'], { CONSENTFLOW_DSAR_BUNDLE_RETENTION: '7d' });
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /CONSENTFLOW_DSAR_BUNDLE_RETENTION is no longer read/);
});

test('bad alert and monitor settings name the variable and the fix; good ones parse', () => {
  assert.throws(
    () => parseEnv({ CONSENTFLOW_ALERT_WEBHOOK_URL: 'hooks.slack.com/x' }),
    /CONSENTFLOW_ALERT_WEBHOOK_URL: CONSENTFLOW_ALERT_WEBHOOK_URL must be an http\(s\) URL/,
  );
  assert.throws(
    () => parseEnv({ CONSENTFLOW_MONITOR_TICK: '15 seconds' }),
    /CONSENTFLOW_MONITOR_TICK: "15 seconds" is not a duration; write a positive whole number and one unit/,
  );
  const env = parseEnv({
    CONSENTFLOW_ALERT_WEBHOOK_URL: 'https://hooks.example/alerts',
    CONSENTFLOW_MONITOR_TICK: '30s',
  });
  assert.equal(env.CONSENTFLOW_ALERT_WEBHOOK_URL, 'https://hooks.example/alerts');
  assert.equal(parseEnv({}).CONSENTFLOW_MONITOR_TICK, '15s');
  assert.equal(env.CONSENTFLOW_MONITOR_TICK, '30s');
});
