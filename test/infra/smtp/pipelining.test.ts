import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { job, poolOn, startRawServer, softOrHard, startServer, transactionReplies } from './servers.js';

const packetsDuring = async (packets: unknown[], work: () => Promise<unknown>) => {
  const before = packets.length;
  await work();
  return packets.length - before;
};

test('with PIPELINING offered, MAIL FROM, every RCPT TO and DATA go out in one packet, and the body with its end in one more', async () => {
  const srv = await startRawServer({
    greeting: '220 raw ESMTP\r\n',
    reply: transactionReplies('250-raw\r\n250-8BITMIME\r\n250 PIPELINING\r\n'),
  });
  const pool = poolOn(srv.port);
  after(() => (pool.close(), srv.stop()));
  await pool.send(job('first@example.org'));
  const body = 'Subject: second\r\n\r\n.leading dot\r\nlast line\r\n';
  const sent = srv.packets.length;
  const response = await pool.send({
    envelope: { from: 'news@shop.example', to: ['a@example.org', 'b@example.org'] },
    raw: Buffer.from(body),
  });
  assert.equal(response, '250 2.0.0 accepted');
  assert.deepEqual(srv.packets.slice(sent), [
    'MAIL FROM:<news@shop.example>\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n',
    'Subject: second\r\n\r\n..leading dot\r\nlast line\r\n.\r\n',
  ]);
});

test('without PIPELINING the connection waits for each reply: one command per packet, and the message still goes out', async () => {
  const srv = await startRawServer({
    greeting: '220 raw ESMTP\r\n',
    reply: transactionReplies('250-raw\r\n250 8BITMIME\r\n'),
  });
  const pool = poolOn(srv.port);
  after(() => (pool.close(), srv.stop()));
  await pool.send(job('first@example.org'));
  const sent = srv.packets.length;
  await pool.send({
    envelope: { from: 'news@shop.example', to: ['a@example.org', 'b@example.org'] },
    raw: Buffer.from('x\r\n'),
  });
  assert.deepEqual(srv.packets.slice(sent), [
    'MAIL FROM:<news@shop.example>\r\n',
    'RCPT TO:<a@example.org>\r\n',
    'RCPT TO:<b@example.org>\r\n',
    'DATA\r\n',
    'x\r\n.\r\n',
  ]);
  assert.equal(srv.messages.at(-1)?.toString(), 'x\r\n');
});

test('smtp-server offers PIPELINING and receives each message in two packets; hiding it makes four, refusals included', async () => {
  const piped = await startServer({ rcpt: softOrHard });
  const stepped = await startServer({ rcpt: softOrHard, hidePIPELINING: true });
  const pipedPool = poolOn(piped.port);
  const steppedPool = poolOn(stepped.port);
  after(() => (pipedPool.close(), steppedPool.close(), piped.stop(), stepped.stop()));
  for (const [pool, srv, perMessage] of [
    [pipedPool, piped, 2],
    [steppedPool, stepped, 4],
  ] as const) {
    await pool.send(job('warm@example.org'));
    const outcomes: unknown[] = [];
    const packets = await packetsDuring(srv.packets, async () => {
      for (const to of ['m1', 'soft', 'm2', 'hard', 'm3'])
        outcomes.push(
          await pool.send(job(`${to}@example.org`)).then(
            (r) => r.slice(0, 3),
            (e: Error & { responseCode?: number }) => {
              // The server's text names the recipient; the message, which may reach a log, does not.
              assert.doesNotMatch(e.message, /@|example/);
              return e.responseCode;
            },
          ),
        );
    });
    assert.deepEqual(outcomes, ['250', 451, '250', 550, '250']);
    // Three accepted messages; a refused one ends at RCPT (lock-step) or DATA (pipelined), then RSET.
    const refusedPackets = perMessage === 2 ? 2 : 3;
    assert.equal(packets, 3 * perMessage + 2 * refusedPackets, `packets sent with PIPELINING ${perMessage === 2}`);
    assert.deepEqual(
      srv.received.map((r) => r.to[0]),
      ['warm', 'm1', 'm2', 'm3'].map((p) => `${p}@example.org`),
    );
  }
});

test('a refused MAIL FROM in a pipelined transaction is the error reported, and RSET keeps the connection', async () => {
  let mails = 0;
  let open = false;
  const plain = transactionReplies('250-raw\r\n250 PIPELINING\r\n');
  const srv = await startRawServer({
    greeting: '220 raw ESMTP\r\n',
    reply: (line) => {
      if (line.startsWith('MAIL')) {
        // The first MAIL FROM is refused; the later ones open a transaction.
        open = ++mails > 1;
        return open ? '250 ok\r\n' : '452 4.3.1 out of storage\r\n';
      }
      if (line.startsWith('RSET')) open = false;
      if ((line.startsWith('RCPT') || line.startsWith('DATA')) && !open) return '503 5.5.1 MAIL first\r\n';
      return plain(line);
    },
  });
  const pool = poolOn(srv.port);
  after(() => (pool.close(), srv.stop()));
  const err = await pool.send(job('a@example.org')).then(
    () => assert.fail('MAIL FROM was refused'),
    (e: Error & { responseCode?: number; response?: string }) => e,
  );
  assert.deepEqual([err.responseCode, err.response], [452, '452 4.3.1 out of storage']);
  assert.equal(await pool.send(job('b@example.org')), '250 2.0.0 accepted');
  assert.equal(pool.size, 1);
  assert.deepEqual(
    srv.packets.filter((p) => p.startsWith('MAIL') || p.startsWith('RSET')).map((p) => p.slice(0, 4)),
    ['MAIL', 'RSET', 'MAIL'],
  );
});
