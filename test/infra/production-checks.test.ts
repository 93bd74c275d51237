import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ConfigError } from '../../infra/config.js';
import { assertProductionReady, dkimAligned, productionProblems } from '../../infra/production-checks.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { testConfig } from '../helpers/config.js';
import { uniqueId } from '../helpers/services.js';

const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString()
  .replace(/\n/g, '\\n');
const ready = {
  CONSENTFLOW_PUBLIC_URL: 'https://prefs.shop.example',
  DKIM_DOMAIN: 'shop.example',
  DKIM_SELECTOR: 'cf1',
  DKIM_PRIVATE_KEY: pem,
  CONSENTFLOW_SENDER_EMAIL: 'news@mail.shop.example',
};

test('a configuration with https links and an aligned DKIM key is fit to start', () => {
  assert.deepEqual(productionProblems(testConfig(ready)), []);
  assert.doesNotThrow(() => assertProductionReady(testConfig(ready), 'worker'));
});

test('each refusal names the variable and the fix', () => {
  const http = productionProblems(testConfig({ ...ready, CONSENTFLOW_PUBLIC_URL: 'http://prefs.shop.example' }));
  assert.equal(http.length, 1);
  assert.match(
    http[0]!,
    /^CONSENTFLOW_PUBLIC_URL is http:\/\/prefs\.shop\.example: .*set CONSENTFLOW_PUBLIC_URL=https:/,
  );
  const unset = productionProblems(testConfig({ ...ready, CONSENTFLOW_PUBLIC_URL: '' }));
  assert.match(unset[0]!, /^CONSENTFLOW_PUBLIC_URL is unset \(links would use http:\/\/127\.0\.0\.1:8787\)/);
  const noKey = productionProblems(testConfig({ ...ready, DKIM_PRIVATE_KEY: '' }));
  assert.match(
    noKey.join('\n'),
    /^DKIM_PRIVATE_KEY is not set: marketing email must be DKIM-signed; set DKIM_DOMAIN .*DKIM_PRIVATE_KEY/,
  );
  const badKey = productionProblems(testConfig({ ...ready, DKIM_PRIVATE_KEY: 'not a key' }));
  assert.match(badKey.join('\n'), /DKIM_PRIVATE_KEY is not a PEM private key/);
  const misaligned = productionProblems(testConfig({ ...ready, DKIM_DOMAIN: 'esp.example' }));
  assert.match(
    misaligned.join('\n'),
    /^DKIM_DOMAIN esp\.example does not align with CONSENTFLOW_SENDER_EMAIL news@mail\.shop\.example: .*set DKIM_DOMAIN=mail\.shop\.example/,
  );
});

test('alignment is relaxed: the signing domain may be the sender domain or its parent, not a stranger', () => {
  assert.equal(dkimAligned('shop.example', 'news@shop.example'), true);
  assert.equal(dkimAligned('shop.example', 'news@mail.shop.example'), true);
  assert.equal(dkimAligned('Shop.Example.', 'news@SHOP.example'), true);
  assert.equal(dkimAligned('notshop.example', 'news@shop.example'), false);
  assert.equal(dkimAligned('esp.example', 'news@shop.example'), false);
});

test('dev lifts the refusals; production throws a ConfigError listing every problem', () => {
  assert.doesNotThrow(() => assertProductionReady(testConfig({ CONSENTFLOW_ENV: 'dev' }), 'API'));
  assert.throws(
    () => assertProductionReady(testConfig({}), 'API'),
    (e: unknown) =>
      e instanceof ConfigError &&
      /^The API will not start outside dev:\n {2}CONSENTFLOW_PUBLIC_URL.*\n {2}DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY are not set/.test(
        e.message,
      ),
  );
});

const secrets = Object.fromEntries(
  ['MASTER', 'PSEUDONYM', 'LOG', 'TOKEN', 'CODEC'].map((k) => [
    `CONSENTFLOW_${k}_KEY`,
    randomBytes(32).toString('base64'),
  ]),
);
const dataDir = () => `${process.env.CF_TEST_DATA_DIR ?? '.data/test'}/${uniqueId('prod')}`;

for (const command of ['worker', 'api']) {
  test(`consentflow ${command} refuses an http public URL outside dev, exit 2, before connecting anywhere`, async () => {
    const r = await runCliInProcess([command], {
      ...secrets,
      ...ready,
      CONSENTFLOW_PUBLIC_URL: 'http://prefs.shop.example',
      CONSENTFLOW_DATA_DIR: dataDir(),
      CONSENTFLOW_API_KEYS: 'a:admin:0123456789abcdef0123456789abcdef',
      REDIS_URL: 'redis://127.0.0.1:1',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /will not start outside dev:\n {2}CONSENTFLOW_PUBLIC_URL is http:\/\/prefs\.shop\.example/);
  });
}
