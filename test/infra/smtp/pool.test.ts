import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { after, test } from 'node:test';
import type { SmtpPool } from '../../../infra/smtp/pool.js';
import { createMailer } from '../../../infra/smtp/transport.js';
import { testConfig } from '../../helpers/config.js';
import { assertPoolDelivers, job, message, poolOn, softOrHard, startServer } from './servers.js';

const config = testConfig({ CONSENTFLOW_SENDER_EMAIL: 'news@shop.example' });

/** Waits, a turn of the event loop at a time, until the pool has noticed its connections closed. */
async function drained(pool: SmtpPool): Promise<void> {
  for (let i = 0; pool.size > 0; i++) {
    if (i > 10_000) throw new Error(`the pool still holds ${pool.size} connections after the server closed them all`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

const codeOf = (e: unknown) => (e as { responseCode?: unknown }).responseCode;
const closed = (s: Socket) => (s.closed ? Promise.resolve() : once(s, 'close'));

test('a hundred and fifty concurrent sends over a pool of three arrive intact, on three connections', async () => {
  const srv = await startServer();
  const mailer = createMailer(config, srv.url, { maxConnections: 3 });
  after(() => (mailer.close(), srv.stop()));
  await assertPoolDelivers(srv, mailer, 150, 3);
});

test('a 4xx and a 5xx recipient are refused with their codes while the others go out on the same connection', async () => {
  const srv = await startServer({ rcpt: softOrHard });
  const mailer = createMailer(config, srv.url, { maxConnections: 1 });
  after(() => (mailer.close(), srv.stop()));
  const sends = ['m1', 'soft', 'm2', 'hard', 'm3'].map((p, i) =>
    mailer.send(message(i, { to: `${p}@example.org` })).then(
      (r) => ({ ok: true as const, code: r.code }),
      (e: Error & { response?: string }) => ({ ok: false as const, code: codeOf(e), response: e.response }),
    ),
  );
  const outcomes = await Promise.all(sends);
  assert.deepEqual(
    outcomes.map((o) => [o.ok, o.code]),
    [
      [true, 250],
      [false, 451],
      [true, 250],
      [false, 550],
      [true, 250],
    ],
  );
  assert.match(String((outcomes[1] as { response?: string }).response), /^451 refused soft@example\.org/);
  // RSET cleared each refused transaction: a connection left with MAIL FROM open would answer 503 to the next.
  assert.equal((await mailer.send(message(9))).code, 250);
  assert.equal(srv.sockets.length, 1, 'every message, refused or not, went over the one connection');
  assert.deepEqual(
    srv.received.map((r) => r.to[0]),
    ['m1@example.org', 'm2@example.org', 'm3@example.org', 'm9@example.org'],
  );
});

test('when the server drops its connections, the message on the wire fails without a code and later sends reconnect', async () => {
  let arrived!: () => void;
  const heldArrived = new Promise<void>((r) => (arrived = r));
  const srv = await startServer({
    rcpt: (a) => (a.startsWith('held') ? (arrived(), new Promise<void>(() => {})) : undefined),
  });
  const pool = poolOn(srv.port, { maxConnections: 2 });
  after(() => (pool.close(), srv.stop()));
  await Promise.all([pool.send(job('a@example.org')), pool.send(job('b@example.org'))]);
  assert.equal(pool.size, 2);
  const held = pool.send(job('held@example.org')).then(
    () => assert.fail('the held message cannot have been accepted'),
    (e: Error & { code?: string }) => e,
  );
  await heldArrived;
  for (const s of srv.sockets) s.destroy();
  const err = await held;
  assert.equal(codeOf(err), undefined, `a connection failure carries no SMTP code (${err.message})`);
  assert.equal(err.code, 'ECONNECTION');
  await drained(pool);
  const later = await Promise.all(['c', 'd', 'e', 'f'].map((p) => pool.send(job(`${p}@example.org`))));
  assert.ok(later.every((r) => r.startsWith('250')));
  assert.equal(srv.sockets.length, 4, 'two new connections replaced the dropped ones');
  assert.deepEqual(
    srv.received.map((r) => r.to[0]).sort(),
    ['a', 'b', 'c', 'd', 'e', 'f'].map((p) => `${p}@example.org`),
  );
});

test('a refused port fails each send as a connection error without an SMTP code', async () => {
  const mailer = createMailer(config, 'smtp://127.0.0.1:1', { maxConnections: 2 });
  after(() => mailer.close());
  const errors = await Promise.all(
    [1, 2, 3].map((i) =>
      mailer.send(message(i)).then(
        () => assert.fail('nothing listens on port 1'),
        (e: Error) => e,
      ),
    ),
  );
  for (const e of errors) {
    assert.equal(codeOf(e), undefined);
    assert.match(e.message, /ECONNREFUSED/);
  }
});

test('close() ends every connection, lets the messages on the wire finish and refuses the queued one', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const srv = await startServer({ rcpt: (a) => (a.startsWith('slow') ? gate : undefined) });
  const mailer = createMailer(config, srv.url, { maxConnections: 2 });
  after(() => srv.stop());
  await Promise.all([mailer.send(message(1)), mailer.send(message(2))]);
  // Both idle connections take a message at once; the third waits in the queue when close() comes.
  const slow = mailer.send(message(3, { to: 'slow@example.org' }));
  const fourth = mailer.send(message(4));
  const fifth = mailer.send(message(5)).then(
    () => assert.fail('a queued message must not go out after close()'),
    (e: Error) => e,
  );
  mailer.close();
  assert.equal(codeOf(await fifth), undefined);
  assert.equal((await fourth).code, 250, 'the message already on the wire finished');
  release();
  assert.equal((await slow).code, 250, 'the held message finished too');
  assert.equal(srv.sockets.length, 2);
  await Promise.all(srv.sockets.map(closed));
  await assert.rejects(mailer.send(message(6)), (e: Error) => codeOf(e) === undefined && /closed/.test(e.message));
  assert.deepEqual(
    srv.received.map((r) => r.to[0]).sort(),
    ['m1', 'm2', 'm4', 'slow'].map((p) => `${p}@example.org`),
  );
});

test('credentials in the SMTP URL log in when the server offers AUTH; a refused login fails the send as a connection error', async () => {
  const logins: string[] = [];
  const srv = await startServer({
    authOptional: false,
    allowInsecureAuth: true,
    onAuth: (auth, _session, cb) => {
      logins.push(`${auth.username}:${auth.password}`);
      if (auth.password === 'p@ss word') return cb(null, { user: auth.username });
      cb(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }));
    },
  });
  const good = createMailer(config, `smtp://relay%40shop:p%40ss%20word@127.0.0.1:${srv.port}`);
  const bad = createMailer(config, `smtp://relay%40shop:nope@127.0.0.1:${srv.port}`);
  after(() => (good.close(), bad.close(), srv.stop()));
  assert.equal((await good.send(message(1))).code, 250);
  // Not the recipient's refusal: the message is deferred as unreachable, the server's 535 kept in `response`.
  const refused = await bad.send(message(2)).then(
    () => assert.fail('a refused login cannot send'),
    (e: Error & { code?: string; response?: string }) => e,
  );
  assert.deepEqual([codeOf(refused), refused.code], [undefined, 'EAUTH']);
  assert.match(String(refused.response), /^535 /);
  assert.doesNotMatch(refused.message, /relay|nope|example\.org/);
  assert.deepEqual(logins, ['relay@shop:p@ss word', 'relay@shop:nope']);
  assert.equal(srv.received.length, 1);
});

test('a connection that timed out while idle leaves the pool, and the next message goes out on a new one', async () => {
  const srv = await startServer();
  const pool = poolOn(srv.port, { maxConnections: 1, socketTimeout: 300 });
  after(() => (pool.close(), srv.stop()));
  assert.match(await pool.send(job('first@example.org')), /^250 /);
  // Past the socket timeout with nothing to send: the connection retires itself.
  await once(srv.sockets[0]!, 'close');
  assert.equal(pool.size, 0, 'the pool no longer counts it');
  assert.match(await pool.send(job('second@example.org')), /^250 /);
  assert.deepEqual(
    srv.received.map((m) => m.to),
    [['first@example.org'], ['second@example.org']],
  );
  assert.equal(srv.sockets.length, 2);
});
