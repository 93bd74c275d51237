import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { job, poolOn, selfSignedCertificate, startServer } from './servers.js';

// Made for this run; the pool trusts it only where a test passes it as the CA.
const { key, cert } = selfSignedCertificate();

const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail('the send cannot have succeeded'),
    (e: Error & { code?: string; responseCode?: number }) => e,
  );

test('a server offering STARTTLS gets it: the message travels encrypted, checked against the trusted certificate', async () => {
  const srv = await startServer({ disabledCommands: [], key, cert });
  const pool = poolOn(srv.port, { tls: { ca: cert } });
  after(() => (pool.close(), srv.stop()));
  assert.match(await pool.send(job('tls@example.org')), /^250 /);
  assert.deepEqual(
    srv.received.map((r) => [r.to[0], r.secure]),
    [['tls@example.org', true]],
  );
});

test('smtps speaks TLS from the first byte, with the certificate checked against the server name given', async () => {
  const srv = await startServer({ secure: true, key, cert });
  const pool = poolOn(srv.port, { secure: true, tls: { ca: cert, servername: 'localhost' } });
  after(() => (pool.close(), srv.stop()));
  const sends = await Promise.all(['a', 'b'].map((p) => pool.send(job(`${p}@example.org`))));
  assert.ok(sends.every((r) => r.startsWith('250 ')));
  assert.deepEqual(
    srv.received.map((r) => r.secure),
    [true, true],
  );
});

test('a certificate nobody vouches for fails STARTTLS and smtps as connection errors, and nothing is sent', async () => {
  const starttls = await startServer({ disabledCommands: [], key, cert });
  const smtps = await startServer({ secure: true, key, cert });
  const plainPool = poolOn(starttls.port);
  const securePool = poolOn(smtps.port, { secure: true });
  const wrongName = poolOn(smtps.port, { secure: true, tls: { ca: cert, servername: 'relay.shop.example' } });
  after(() => (plainPool.close(), securePool.close(), wrongName.close(), starttls.stop(), smtps.stop()));
  for (const [pool, why] of [
    [plainPool, /self-signed certificate/],
    [securePool, /self-signed certificate/],
    [wrongName, /relay\.shop\.example/],
  ] as const) {
    const err = await failure(pool.send(job('never@example.org')));
    assert.deepEqual([err.responseCode, err.code], [undefined, 'ETLS']);
    assert.match(err.message, why);
  }
  assert.equal(starttls.received.length + smtps.received.length, 0);
});
