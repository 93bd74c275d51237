import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { SmtpEnvelopeError } from '../../../infra/smtp/connection.js';
import { job, poolOn, startServer } from './servers.js';

const UTF8_RECIPIENT = 'nóra@bücher.example';
const sentText = (packets: Buffer[], from: number) => Buffer.concat(packets.slice(from)).toString('utf8');

test('an internationalised address goes out with SMTPUTF8 where the server offers it, an ASCII one without', async () => {
  const srv = await startServer();
  const pool = poolOn(srv.port);
  after(() => (pool.close(), srv.stop()));
  const before = srv.packets.length;
  await pool.send(job(UTF8_RECIPIENT));
  assert.match(
    sentText(srv.packets, before),
    /\r\nMAIL FROM:<news@shop\.example> SMTPUTF8\r\nRCPT TO:<nóra@bücher\.example>\r\n/,
  );
  assert.deepEqual(srv.received.at(-1)?.to, [UTF8_RECIPIENT]);
  const ascii = srv.packets.length;
  await pool.send(job('nora@example.org'));
  assert.match(sentText(srv.packets, ascii), /^MAIL FROM:<news@shop\.example>\r\n/);
});

test('to a server without SMTPUTF8 an internationalised address is refused before anything is written, and the connection sends on', async () => {
  const srv = await startServer({ hideSMTPUTF8: true });
  const pool = poolOn(srv.port);
  after(() => (pool.close(), srv.stop()));
  await pool.send(job('first@example.org'));
  const before = srv.packets.length;
  const err = await pool.send(job(UTF8_RECIPIENT)).then(
    () => assert.fail('an address the relay cannot carry was sent'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SmtpEnvelopeError);
  // A permanent refusal that is not the address's fault: 554 5.6.7, never a hard bounce (550/551/553 or 5.1.x).
  assert.equal(err.responseCode, 554);
  assert.match(err.response, /^554 5\.6\.7 /);
  assert.equal(srv.packets.length, before, 'nothing was written for the refused message');
  await pool.send(job('after@example.org'));
  assert.deepEqual(srv.received.at(-1)?.to, ['after@example.org']);
  assert.equal(srv.sockets.length, 1, 'the refusal kept the connection');
});

test('an address with a line break or angle bracket is refused as a bad mailbox and cannot inject a command', async () => {
  const srv = await startServer();
  const pool = poolOn(srv.port);
  after(() => (pool.close(), srv.stop()));
  await pool.send(job('first@example.org'));
  const before = srv.packets.length;
  for (const to of ['a@example.org>\r\nRCPT TO:<victim@example.org', 'a@example.org\nDATA', '<a@example.org>', ' ']) {
    const err = await pool.send(job(to)).then(
      () => assert.fail(`${JSON.stringify(to)} was sent`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SmtpEnvelopeError);
    assert.equal(err.responseCode, 553);
  }
  const badSender = await pool
    .send({ envelope: { from: 'news@shop.example\r\nRSET', to: ['a@example.org'] }, raw: Buffer.from('x\r\n') })
    .then(
      () => assert.fail('a sender with a line break was sent'),
      (e: unknown) => e,
    );
  assert.ok(badSender instanceof SmtpEnvelopeError);
  assert.equal(srv.packets.length, before, 'nothing was written for the refused messages');
  assert.doesNotMatch(sentText(srv.packets, 0), /victim/);
  await pool.send(job('after@example.org'));
  assert.deepEqual(
    srv.received.map((r) => r.to[0]),
    ['first@example.org', 'after@example.org'],
  );
  assert.equal(srv.sockets.length, 1);
});

test('to a server without SMTPUTF8 an address whose domain alone is internationalised goes out with that domain in punycode', async () => {
  const srv = await startServer({ hideSMTPUTF8: true });
  const pool = poolOn(srv.port);
  after(() => (pool.close(), srv.stop()));
  await pool.send(job('nora@bücher.example'));
  // smtp-server reads the punycode domain back to Unicode; the wire is where the ASCII form shows.
  assert.deepEqual(srv.received.at(-1)?.to, ['nora@bücher.example']);
  assert.match(sentText(srv.packets, 0), /\r\nRCPT TO:<nora@xn--bcher-kva\.example>\r\n/);
  assert.doesNotMatch(sentText(srv.packets, 0), /SMTPUTF8/);
});
