import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, parseEnv } from '../../../infra/config.js';
import { createMailer, type OutboundMessage } from '../../../infra/smtp/transport.js';
import { testConfig } from '../../helpers/config.js';
import { selfSignedCertificate, startServer } from './servers.js';

const { key, cert } = selfSignedCertificate();
const dir = mkdtempSync(join(tmpdir(), 'cf-ca-'));
const caFile = join(dir, 'relay-ca.pem');
writeFileSync(caFile, cert);
const message: OutboundMessage = { to: 'ca@example.org', subject: 'Hallo', text: 'Hallo\n' };

test('a relay whose certificate a private CA signed is trusted through SMTP_CA_FILE, and refused without it', async () => {
  const srv = await startServer({ disabledCommands: [], key, cert });
  const trusting = createMailer(testConfig({ SMTP_CA_FILE: caFile }), srv.url);
  const plain = createMailer(testConfig(), srv.url);
  after(() => (trusting.close(), plain.close(), srv.stop()));
  assert.equal((await trusting.send(message)).code, 250);
  assert.deepEqual(
    srv.received.map((m) => [m.to, m.secure]),
    [[['ca@example.org'], true]],
    'sent once, over STARTTLS',
  );
  // Without the CA the certificate is not trusted: a connection error (deferred by the send path), nothing sent.
  const refused = await plain.send(message).then(
    () => assert.fail('the send cannot have succeeded'),
    (e: Error & { code?: string; responseCode?: number }) => e,
  );
  assert.deepEqual([refused.code, refused.responseCode], ['ETLS', undefined]);
  assert.equal(srv.received.length, 1);
});

test('SMTP_CA_FILE naming a missing file or one without a PEM certificate is refused when the environment is read', () => {
  const notPem = join(dir, 'not-a-cert.txt');
  writeFileSync(notPem, 'hello');
  for (const [path, says] of [
    [join(dir, 'missing.pem'), /SMTP_CA_FILE: SMTP_CA_FILE .*missing\.pem cannot be read \(ENOENT\); point it at/],
    [notPem, /SMTP_CA_FILE: SMTP_CA_FILE .*not-a-cert\.txt holds no PEM certificate/],
  ] as const)
    assert.throws(
      () => parseEnv({ SMTP_CA_FILE: path }),
      (e: unknown) => e instanceof ConfigError && says.test(e.message),
    );
});
