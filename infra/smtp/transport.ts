import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { AppConfig } from '../config.js';
import { composeMessage } from './compose.js';
import { dkimKeyFrom, dkimSign } from './dkim-sign.js';
import { SmtpPool } from './pool.js';

/** How long opening the TCP connection (and, for smtps, its TLS handshake) may take. */
const CONNECT_TIMEOUT_MS = 10_000;

/** What a send produced, as the SMTP server answered. */
export interface SmtpResult {
  readonly messageId: string;
  readonly response: string;
  readonly code: number;
}

/** A message ready for the wire: only the fields the guard released have been rendered into it. */
export interface OutboundMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  readonly headers?: Record<string, string>;
  readonly messageId?: string;
  /** The From display name: the policy's brand on every campaign message. */
  readonly fromName?: string;
}

/** The channel port for email; the real one speaks SMTP over a pool of pipelining connections (see pool.ts). */
export interface Mailer {
  send(message: OutboundMessage): Promise<SmtpResult>;
  close(): void;
}

/**
 * Opens a TCP connection to the relay with Nagle off: a small write (the pipelined envelope, the body's last
 * segment) would otherwise wait for the server's delayed ACK, about 40 ms a message per connection.
 */
export function connectNoDelay(
  host: string,
  port: number,
  done: (err: Error | null, socketOptions?: { connection: Socket }) => void,
  timeoutMs = CONNECT_TIMEOUT_MS,
): void {
  const socket = connect({ host, port });
  socket.setNoDelay(true);
  const timer = setTimeout(
    () => socket.destroy(new Error(`SMTP connection to ${host}:${port} timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  socket.once('connect', () => {
    clearTimeout(timer);
    socket.removeAllListeners('error');
    // The connection listens while it uses the socket and detaches on close; a reset after that must not crash us.
    socket.on('error', () => {});
    done(null, { connection: socket });
  });
  socket.once('error', (e) => {
    clearTimeout(timer);
    done(e);
  });
}

/** The environment variables a mailer reads: the DKIM key and the relay's CA. */
export const MAILER_ENV = ['DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY', 'SMTP_CA_FILE'] as const;

/** What a mailer reads of the configuration: its environment variables (MAILER_ENV) and the envelope sender. */
export interface MailerConfig {
  readonly env: Pick<AppConfig['env'], (typeof MAILER_ENV)[number]>;
  readonly sender: AppConfig['sender'];
}

/** The DKIM signing settings the environment names, when it names all three. */
export function dkimSettings(
  env: MailerConfig['env'],
): { readonly domain: string; readonly selector: string; readonly privateKey: string } | undefined {
  const { DKIM_DOMAIN: domain, DKIM_SELECTOR: selector, DKIM_PRIVATE_KEY: privateKey } = env;
  return domain && selector && privateKey ? { domain, selector, privateKey } : undefined;
}

/** The pool's size, and a clock for the Date header (tests). */
export interface MailerOptions {
  readonly maxConnections?: number;
  readonly now?: () => Date;
}

/** A pooled SMTP transport to `smtpUrl`, DKIM-signing (List-Unsubscribe headers oversigned) when a key is configured. */
export function createMailer(config: MailerConfig, smtpUrl: string, opts: MailerOptions = {}): Mailer {
  const { env, sender } = config;
  const signing = dkimSettings(env);
  const dkim = signing && dkimKeyFrom(signing.domain, signing.selector, signing.privateKey);
  const now = opts.now ?? (() => new Date());
  const u = new URL(smtpUrl);
  const port = u.port ? Number(u.port) : u.protocol === 'smtps:' ? 465 : 587;
  const pool = new SmtpPool({
    host: u.hostname,
    port,
    secure: u.protocol === 'smtps:',
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
    maxConnections: opts.maxConnections ?? 5,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    openSocket: (done) => connectNoDelay(u.hostname, port, done, CONNECT_TIMEOUT_MS),
    // Checked as PEM when the environment was parsed; trusted besides the system's CAs, never instead of checking.
    ...(env.SMTP_CA_FILE ? { tls: { ca: [...rootCertificates, readFileSync(env.SMTP_CA_FILE, 'utf8')] } } : {}),
  });
  return {
    async send(m) {
      // Composed directly and signed by our own signer (oversigning the one-click headers, see dkim-sign.ts); the
      // pool sends the bytes as they are.
      const date = now();
      const built = composeMessage({
        from: m.fromName ? { name: m.fromName, address: sender.email } : sender.email,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        headers: m.headers,
        messageId: m.messageId,
        date,
      });
      const raw = dkim ? dkimSign(built.raw, dkim, date) : built.raw;
      const response = await pool.send({ envelope: { from: sender.email, to: [m.to] }, raw });
      const code = Number.parseInt(response.slice(0, 3), 10);
      return { messageId: built.messageId, response, code: Number.isFinite(code) ? code : 250 };
    },
    close: () => pool.close(),
  };
}
