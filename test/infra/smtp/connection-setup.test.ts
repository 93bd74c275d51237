import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { job, poolOn, startRawServer, startServer, transactionReplies } from './servers.js';

type Failure = Error & { code?: string; responseCode?: number; response?: string };
const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail('the send cannot have succeeded'),
    (e: Failure) => e,
  );

test('a 421 greeting fails each send as a connection error with the greeting kept, and nothing more is said', async () => {
  const srv = await startRawServer({ greeting: '421 4.3.2 too busy, come back later\r\n', reply: () => undefined });
  const pool = poolOn(srv.port, { maxConnections: 2 });
  after(() => (pool.close(), srv.stop()));
  const errors = await Promise.all([1, 2, 3].map((i) => failure(pool.send(job(`m${i}@example.org`)))));
  for (const e of errors) {
    assert.deepEqual([e.responseCode, e.code], [undefined, 'ECONNECTION']);
    assert.equal(e.response, '421 4.3.2 too busy, come back later');
  }
  assert.deepEqual(srv.packets, [], 'the client answered a refusing greeting with nothing');
});

test('a multi-line greeting is read whole, and a server refusing EHLO is spoken to with HELO, command by command', async () => {
  const plain = transactionReplies('');
  const srv = await startRawServer({
    greeting: '220-raw.example ESMTP\r\n220-no spam\r\n220 welcome\r\n',
    reply: (line) => (line.startsWith('EHLO') ? '502 5.5.1 EHLO unknown\r\n' : plain(line)),
  });
  const pool = poolOn(srv.port, { name: 'mta.shop.example' });
  after(() => (pool.close(), srv.stop()));
  assert.equal(await pool.send(job('old@example.org', 'Subject: old\r\n\r\nhi\r\n')), '250 2.0.0 accepted');
  assert.deepEqual(srv.packets, [
    'EHLO mta.shop.example\r\n',
    'HELO mta.shop.example\r\n',
    'MAIL FROM:<news@shop.example>\r\n',
    'RCPT TO:<old@example.org>\r\n',
    'DATA\r\n',
    'Subject: old\r\n\r\nhi\r\n.\r\n',
  ]);
});

test('EHLO answered with 421 fails the send as a connection error, not as a refusal of the message', async () => {
  const srv = await startRawServer({ greeting: '220 raw\r\n', reply: () => '421 4.7.0 closing\r\n' });
  const pool = poolOn(srv.port);
  after(() => (pool.close(), srv.stop()));
  const e = await failure(pool.send(job('a@example.org')));
  assert.deepEqual([e.responseCode, e.code, e.response], [undefined, 'ECONNECTION', '421 4.7.0 closing']);
});

test('a server offering only AUTH LOGIN is logged into with it; wrong credentials are an EAUTH connection error', async () => {
  const logins: string[] = [];
  const srv = await startServer({
    authOptional: false,
    allowInsecureAuth: true,
    authMethods: ['LOGIN'],
    onAuth: (auth, _session, cb) => {
      logins.push(`${auth.method} ${auth.username}:${auth.password}`);
      if (auth.password === 'secret') return cb(null, { user: auth.username });
      cb(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }));
    },
  });
  const good = poolOn(srv.port, { auth: { user: 'relay', pass: 'secret' } });
  const bad = poolOn(srv.port, { auth: { user: 'relay', pass: 'wrong' } });
  after(() => (good.close(), bad.close(), srv.stop()));
  assert.match(await good.send(job('a@example.org')), /^250 /);
  const e = await failure(bad.send(job('b@example.org')));
  assert.deepEqual([e.responseCode, e.code], [undefined, 'EAUTH']);
  assert.match(String(e.response), /^535 /);
  assert.deepEqual(logins, ['LOGIN relay:secret', 'LOGIN relay:wrong']);
  assert.deepEqual(
    srv.received.map((r) => r.to[0]),
    ['a@example.org'],
  );
});

test('a server that never greets fails the send with ETIMEDOUT after the greeting timeout', async () => {
  const srv = await startRawServer({ greeting: '', reply: () => undefined });
  const pool = poolOn(srv.port, { greetingTimeout: 50 });
  after(() => (pool.close(), srv.stop()));
  const e = await failure(pool.send(job('a@example.org')));
  assert.deepEqual([e.responseCode, e.code], [undefined, 'ETIMEDOUT']);
  assert.equal(pool.size, 0);
});

test('a server that stops answering mid-message fails it with ETIMEDOUT and the connection is dropped', async () => {
  const plain = transactionReplies('250-raw\r\n250 PIPELINING\r\n');
  const srv = await startRawServer({
    greeting: '220 raw\r\n',
    reply: (line) => (line.startsWith('MAIL') ? null : plain(line)),
  });
  // Short, so the test does not wait: any stall this long, at whatever step, ends the same way.
  const pool = poolOn(srv.port, { socketTimeout: 100 });
  after(() => (pool.close(), srv.stop()));
  const e = await failure(pool.send(job('a@example.org')));
  assert.deepEqual([e.responseCode, e.code], [undefined, 'ETIMEDOUT']);
  assert.equal(pool.size, 0);
  assert.equal(srv.messages.length, 0);
});
