import type { ConnectionOptions } from 'node:tls';
import type { ConnectionErrorCode, SmtpConnectionError } from './smtp-reply.js';

/** How one connection talks to the server; timeouts in ms. */
export interface SmtpConnectionOptions {
  readonly host: string;
  /** TLS from the first byte (smtps); otherwise STARTTLS when the server offers it. */
  readonly secure: boolean;
  /** Passed to tls.connect (ca, servername, ...); certificates are verified unless these say otherwise. */
  readonly tls?: ConnectionOptions;
  readonly auth?: { readonly user: string; readonly pass: string };
  /** The name for EHLO: a host name with a dot, or an address literal. */
  readonly name: string;
  /** Bounds the TLS handshake of smtps. */
  readonly connectionTimeout: number;
  readonly greetingTimeout: number;
  readonly socketTimeout: number;
}

/** One reply: its code and its lines, code included, joined by '\n'. */
export interface SmtpReplyText {
  readonly code: number;
  readonly text: string;
}

/** What setting up a session needs from the connection. */
export interface SmtpSession {
  readonly options: SmtpConnectionOptions;
  /** EHLO keywords (upper case) and their parameters. */
  capabilities: Map<string, string>;
  command(line?: string): Promise<SmtpReplyText>;
  upgrade(): Promise<void>;
  fail(message: string, code: ConnectionErrorCode, response?: string, cause?: unknown): SmtpConnectionError;
}

/**
 * Greeting, EHLO (HELO for a server that does not know it), STARTTLS when offered, AUTH when offered and
 * configured. Every failure here is the connection's, not a message's: no `responseCode`, the server's reply in
 * `response`, so a wrong password defers the messages instead of logging each recipient as refused.
 */
export async function greetAndLogIn(s: SmtpSession): Promise<void> {
  const o = s.options;
  if (o.secure) await within(s, o.connectionTimeout, 'finish the TLS handshake', secureOrFail(s));
  const greeting = await within(s, o.greetingTimeout, 'send its greeting', s.command());
  if (greeting.code !== 220)
    throw s.fail(`The SMTP server greeted with ${greeting.code} instead of 220`, 'ECONNECTION', greeting.text);
  await hello(s);
  if (!o.secure && s.capabilities.has('STARTTLS')) {
    const r = await s.command('STARTTLS\r\n');
    if (r.code !== 220) throw s.fail(`The SMTP server answered STARTTLS with ${r.code}`, 'ETLS', r.text);
    await secureOrFail(s);
    await hello(s);
  }
  // As nodemailer's pool: credentials are used only when the server offers AUTH.
  if (o.auth && s.capabilities.has('AUTH')) await logIn(s, o.auth);
}

async function within<T>(s: SmtpSession, ms: number, what: string, step: Promise<T>): Promise<T> {
  const timer = setTimeout(() => s.fail(`The SMTP server did not ${what} within ${ms} ms`, 'ETIMEDOUT'), ms);
  try {
    return await step;
  } finally {
    clearTimeout(timer);
  }
}

async function secureOrFail(s: SmtpSession): Promise<void> {
  try {
    await s.upgrade();
  } catch (e) {
    const why = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    throw s.fail(`TLS with the SMTP server failed: ${why}`, 'ETLS', undefined, e);
  }
}

async function hello(s: SmtpSession): Promise<void> {
  const name = s.options.name;
  const ehlo = await s.command(`EHLO ${name}\r\n`);
  if (ehlo.code === 250) {
    s.capabilities = capabilitiesOf(ehlo.text);
    return;
  }
  if (ehlo.code < 500) throw s.fail(`The SMTP server answered EHLO with ${ehlo.code}`, 'ECONNECTION', ehlo.text);
  const helo = await s.command(`HELO ${name}\r\n`);
  if (helo.code !== 250) throw s.fail(`The SMTP server answered HELO with ${helo.code}`, 'ECONNECTION', helo.text);
  s.capabilities = new Map();
}

/** The EHLO keywords after the first line; `AUTH=PLAIN LOGIN` (an old form) counts as AUTH. */
export function capabilitiesOf(text: string): Map<string, string> {
  const caps = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.slice(4).trim().toUpperCase();
    const cut = line.search(/[ =]/);
    const key = cut < 0 ? line : line.slice(0, cut);
    if (key && !caps.has(key)) caps.set(key, cut < 0 ? '' : line.slice(cut + 1));
  }
  return caps;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

async function logIn(s: SmtpSession, auth: { readonly user: string; readonly pass: string }): Promise<void> {
  const offered = s.capabilities.get('AUTH')!.split(' ');
  let r: SmtpReplyText;
  if (offered.includes('PLAIN')) r = await s.command(`AUTH PLAIN ${b64(`\0${auth.user}\0${auth.pass}`)}\r\n`);
  else if (offered.includes('LOGIN')) {
    r = await s.command('AUTH LOGIN\r\n');
    if (r.code === 334) r = await s.command(`${b64(auth.user)}\r\n`);
    if (r.code === 334) r = await s.command(`${b64(auth.pass)}\r\n`);
  } else throw s.fail(`The SMTP server offers AUTH ${offered.join(' ')}, neither PLAIN nor LOGIN`, 'EAUTH');
  if (r.code !== 235)
    throw s.fail(
      `The SMTP server refused the login with ${r.code}: check the user and password in SMTP_URL`,
      'EAUTH',
      r.text,
    );
}
