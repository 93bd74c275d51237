import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { job, poolOn, selfSignedCertificate, startRawServer, startServer, transactionReplies } from './servers.js';

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

test('a reply slipped in the clear behind the 220 to STARTTLS is discarded, not taken as the answer to EHLO over TLS', async () => {
  let secured = false;
  const inTheClear = transactionReplies('250-raw\r\n250 STARTTLS\r\n');
  const overTls = transactionReplies('250-raw\r\n250 PIPELINING\r\n');
  const srv = await startRawServer({
    greeting: '220 raw ESMTP\r\n',
    tls: { key, cert },
    reply: (line) => {
      if (line === 'STARTTLS') return ((secured = true), '220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n');
      return secured ? overTls(line) : inTheClear(line);
    },
  });
  const pool = poolOn(srv.port, { tls: { ca: cert }, auth: { user: 'relay', pass: 'secret' } });
  after(() => (pool.close(), srv.stop()));
  assert.equal(await pool.send(job('a@example.org', 'x\r\n')), '250 2.0.0 accepted');
  // The injected AUTH offer was not believed: no credentials went to the server, and the real EHLO reply counted.
  assert.deepEqual(
    srv.messages.map((m) => m.toString()),
    ['x\r\n'],
  );
  assert.equal(srv.packets.filter((p) => p.startsWith('AUTH')).length, 0);
});
