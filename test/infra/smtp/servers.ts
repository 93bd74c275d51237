// Real SMTP servers for the connection and pool tests: smtp-server with every accepted message and the packets
// each client sent, a scripted raw server for what smtp-server cannot be made to say, and a certificate made now.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { SmtpPool, type SmtpPoolOptions } from '../../../infra/smtp/pool.js';
import { connectNoDelay, type Mailer, type OutboundMessage } from '../../../infra/smtp/transport.js';

export type ServerOptions = Partial<SMTPServerOptions> & {
  rcpt?: (address: string) => Promise<void> | { code: number } | void;
};

/** smtp-server on loopback keeping every accepted message, the client sockets and the packets they sent. */
export async function startServer(opts: ServerOptions = {}) {
  const sockets: Socket[] = [];
  const packets: Buffer[] = [];
  const received: Array<{ to: string[]; raw: Buffer; secure: boolean }> = [];
  const { rcpt, ...rest } = opts;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address, _session, cb) {
      const r = rcpt?.(address.address);
      if (r instanceof Promise) return void r.then(() => cb());
      if (r) return cb(Object.assign(new Error(`refused ${address.address}`), { responseCode: r.code }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
        });
        cb(null, 'queued');
      });
    },
    ...rest,
  });
  server.on('error', () => {});
  server.server.on('connection', (s: Socket) => {
    sockets.push(s);
    s.on('data', (c: Buffer) => packets.push(c));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { port, url: `smtp://127.0.0.1:${port}`, sockets, packets, received, stop };
}

/** A pool on `port` with the product's timeouts; `over` changes any option. */
export function poolOn(port: number, over: Partial<SmtpPoolOptions> = {}): SmtpPool {
  return new SmtpPool({
    host: '127.0.0.1',
    port,
    secure: false,
    maxConnections: 1,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    openSocket: (done) => connectNoDelay('127.0.0.1', port, done),
    ...over,
  });
}

/** One message job: `raw` to `to` from news@shop.example. */
export const job = (to: string, raw: Buffer | string = 'Subject: x\r\n\r\nx\r\n') => ({
  envelope: { from: 'news@shop.example', to: [to] },
  raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw),
});

/**
 * A scripted SMTP server: `reply(line)` answers each command line (undefined: no answer; null: no answer to
 * anything more on that connection); in DATA it collects up to the end and answers 250. Every packet a client sends is kept, so a test can see what went in one write.
 */
export async function startRawServer(script: {
  greeting: string;
  reply: (line: string) => string | undefined | null;
  /** Key and certificate to answer STARTTLS with: TLS starts right after the reply to it. */
  tls?: { key: string; cert: string };
}) {
  const packets: string[] = [];
  const messages: Buffer[] = [];
  const serve = (s: Socket) => {
    let buf = '';
    let inData = false;
    let mute = false;
    s.on('error', () => {});
    const onData = (c: Buffer) => {
      packets.push(c.toString('latin1'));
      buf += c.toString('latin1');
      for (; !mute;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          messages.push(Buffer.from(buf.slice(0, end + 2), 'latin1'));
          buf = buf.slice(end + 5);
          inData = false;
          s.write('250 2.0.0 accepted\r\n');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const answer = script.reply(line);
        if (answer === null) mute = true;
        if (answer) s.write(answer);
        if (answer?.startsWith('354')) inData = true;
        if (/^QUIT/i.test(line)) s.end();
        if (/^STARTTLS/i.test(line) && script.tls) {
          s.off('data', onData);
          return serve(new TLSSocket(s, { isServer: true, ...script.tls }));
        }
      }
    };
    s.on('data', onData);
  };
  const server = createServer((s) => {
    s.write(script.greeting);
    serve(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { port, packets, messages, stop };
}

/** Answers a plain transaction; `ehlo` is the EHLO reply. */
export const transactionReplies =
  (ehlo: string) =>
  (line: string): string | undefined => {
    const verb = line.slice(0, 4).toUpperCase();
    if (verb === 'EHLO') return ehlo;
    if (verb === 'HELO') return '250 raw\r\n';
    if (verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET') return '250 ok\r\n';
    if (verb === 'DATA') return '354 go ahead\r\n';
    if (verb === 'QUIT') return '221 bye\r\n';
    return '502 not implemented\r\n';
  };

/** A self-signed certificate for localhost and 127.0.0.1, made with openssl for this run. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
        ...['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Campaign message `i` for the pool and mail-thread tests: non-ASCII text, dot-led lines, a long line, a header. */
export const message = (i: number, over: Partial<OutboundMessage> = {}): OutboundMessage => ({
  to: `m${i}@example.org`,
  fromName: 'Winterberg Outfitters',
  subject: `Winterangebot ${i} für Jörg`,
  // A line with a leading dot: the connection dot-stuffs it and the server takes it out again.
  text: `Hallo ${i}\n.\n.hidden line ${'x'.repeat(90)}\n`,
  html: `<p>Hallo ${i}</p>`,
  headers: { 'List-Unsubscribe': `<https://prefs.shop.example/u/${i}>` },
  messageId: `<m${i}@shop.example>`,
  ...over,
});

/** Asserts that `raw`, received for `to`, is campaign message `i` as `message(i)` describes it, intact. */
export async function assertCampaignMessage(to: string[], raw: Buffer): Promise<void> {
  const i = Number(/^m(\d+)@/.exec(to[0]!)![1]);
  const parsed = await simpleParser(raw);
  assert.deepEqual(to, [`m${i}@example.org`]);
  assert.equal(parsed.subject, `Winterangebot ${i} für Jörg`);
  assert.equal(parsed.text, `Hallo ${i}\n.\n.hidden line ${'x'.repeat(90)}\n`);
  assert.equal(parsed.html, `<p>Hallo ${i}</p>`);
  assert.equal(parsed.messageId, `<m${i}@shop.example>`);
  assert.equal(parsed.from?.text, '"Winterberg Outfitters" <news@shop.example>');
  assert.match(raw.toString('latin1'), new RegExp(`^List-Unsubscribe: <https://prefs.shop.example/u/${i}>\r\n`));
}

/**
 * Sends campaign messages 0..n-1 at once and asserts that every one was accepted under its own Message-ID and arrived
 * intact, over exactly `connections` connections to `srv`.
 */
export async function assertPoolDelivers(
  srv: Awaited<ReturnType<typeof startServer>>,
  mailer: Mailer,
  n: number,
  connections: number,
): Promise<void> {
  const results = await Promise.all(Array.from({ length: n }, (_, i) => mailer.send(message(i))));
  assert.ok(
    results.every((r) => r.code === 250 && /queued/.test(r.response)),
    JSON.stringify(results[0]),
  );
  assert.deepEqual(
    results.map((r) => r.messageId),
    Array.from({ length: n }, (_, i) => `<m${i}@shop.example>`),
  );
  assert.equal(srv.sockets.length, connections, `the pool opened exactly its ${connections} connections`);
  assert.equal(srv.received.length, n);
  for (const { to, raw } of srv.received) await assertCampaignMessage(to, raw);
}

/**
 * A server that holds every recipient starting with "slow" at RCPT until `release()`, and `onTheWire(k)`, which
 * resolves once `k` client connections are open (a held send is then on the wire).
 */
export async function holdingServer() {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const srv = await startServer({ rcpt: (a) => (a.startsWith('slow') ? held : undefined) });
  const onTheWire = async (k: number) => {
    while (srv.sockets.length < k) await new Promise((r) => setTimeout(r, 10));
  };
  return { srv, release, onTheWire };
}

/** Refuses recipients starting with "soft" with a 451 and those starting with "hard" with a 550 (`startServer`'s rcpt). */
export const softOrHard = (a: string): { code: number } | undefined =>
  a.startsWith('soft') ? { code: 451 } : a.startsWith('hard') ? { code: 550 } : undefined;
