import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { dataBody } from './data-body.js';
import { greetAndLogIn, type SmtpConnectionOptions, type SmtpReplyText, type SmtpSession } from './session-setup.js';
import { NON_ASCII, wireEnvelope, type SmtpEnvelope } from './envelope.js';
import { ReplyReader, SmtpConnectionError, SmtpReplyError, type ConnectionErrorCode } from './smtp-reply.js';

export { SmtpEnvelopeError, type SmtpEnvelope } from './envelope.js';

/** What a connection tells its owner; called once per message (`done`) and at most once in all (`lost`). */
export interface SmtpConnectionEvents {
  /** The message was accepted (`err` undefined) or refused; either way the connection takes the next one. */
  done(err: SmtpReplyError | undefined, response: string): void;
  /** The connection is gone after `open()` succeeded; `err` fails the message in flight, if any. */
  lost(err: Error): void;
}

type Phase = 'setup' | 'idle' | 'envelope' | 'body' | 'rset' | 'closing' | 'gone';
export type { SmtpConnectionOptions } from './session-setup.js';

const EMPTY = Buffer.alloc(0);

/**
 * One SMTP client connection that sends a finished message at a time. With PIPELINING (RFC 2920) the envelope and
 * DATA go out in one write and the body with its end in a second; without it, command by command. The reply
 * handling is a state machine on the instance, so a message costs no closures or streams.
 */
export class SmtpConnection implements SmtpSession {
  readonly #opts: SmtpConnectionOptions;
  readonly #events: SmtpConnectionEvents;
  readonly #reader = new ReplyReader();
  #socket: Socket;
  #phase: Phase = 'setup';
  #waiter: { resolve(r: SmtpReplyText): void; reject(e: Error): void } | undefined;
  #lostWith: Error | undefined;
  /** Setup replies that came before anyone waited (a greeting read in the same turn as the TLS handshake). */
  #early: SmtpReplyText[] = [];
  capabilities = new Map<string, string>();
  #envelope: SmtpEnvelope = { from: '', to: [] };
  #raw: Buffer = EMPTY;
  #step = 0;
  #accepted = 0;
  #refusal: SmtpReplyError | undefined;

  constructor(socket: Socket, opts: SmtpConnectionOptions, events: SmtpConnectionEvents) {
    this.#opts = opts;
    this.#events = events;
    this.#socket = socket;
    this.#attach(socket);
  }

  get options(): SmtpConnectionOptions {
    return this.#opts;
  }

  /** Greeting, EHLO, STARTTLS and AUTH; rejects with an SmtpConnectionError and leaves the socket closed. */
  async open(): Promise<void> {
    try {
      await greetAndLogIn(this);
      this.#phase = 'idle';
    } catch (e) {
      this.#lose(e instanceof Error ? e : new Error(String(e)));
      throw e;
    }
  }

  /** Sends `raw` (CRLF lines, as composed) to the envelope; only while idle after `open()`. */
  send(envelope: SmtpEnvelope, raw: Buffer): void {
    if (this.#phase !== 'idle') throw new Error(`An SMTP connection in phase ${this.#phase} cannot take a message`);
    const utf8Offered = this.capabilities.has('SMTPUTF8');
    const wire = wireEnvelope(envelope, utf8Offered);
    if ('refusal' in wire) {
      const { refusal } = wire;
      // Answered like a refusal from the server, after this call returns, as every answer is.
      queueMicrotask(() => this.#events.done(refusal, refusal.response));
      return;
    }
    envelope = wire.envelope;
    this.#phase = 'envelope';
    this.#envelope = envelope;
    this.#raw = raw;
    this.#step = 0;
    this.#accepted = 0;
    this.#refusal = undefined;
    const utf8 = utf8Offered && NON_ASCII.test(envelope.from + envelope.to.join(''));
    let commands = `MAIL FROM:<${envelope.from}>${utf8 ? ' SMTPUTF8' : ''}\r\n`;
    if (this.capabilities.has('PIPELINING')) {
      for (let i = 0; i < envelope.to.length; i++) commands += `RCPT TO:<${envelope.to[i]}>\r\n`;
      commands += 'DATA\r\n';
    }
    this.#socket.write(commands);
  }

  /** Says QUIT and lets the server close; a message in flight is the caller's to have waited for. */
  quit(): void {
    if (this.#phase === 'gone' || this.#phase === 'closing') return;
    this.#phase = 'closing';
    this.#socket.end('QUIT\r\n');
  }

  /** Drops the connection without a word. */
  close(): void {
    if (this.#phase === 'gone') return;
    this.#phase = 'gone';
    this.#socket.destroy();
  }

  /** Writes `line` (or nothing, for the greeting) and waits for the reply; setup only. */
  command(line?: string): Promise<SmtpReplyText> {
    if (this.#lostWith) return Promise.reject(this.#lostWith);
    return new Promise<SmtpReplyText>((resolve, reject) => {
      if (line) this.#socket.write(line);
      const early = this.#early.shift();
      if (early) resolve(early);
      else this.#waiter = { resolve, reject };
    });
  }

  /** Puts TLS over the socket (smtps, or after STARTTLS's 220) and waits for the handshake. */
  upgrade(): Promise<void> {
    const plain = this.#socket;
    this.#detach(plain);
    // Whatever came in the clear before TLS is not to be believed after it (RFC 3207 4.2).
    this.#early = [];
    const { host, tls } = this.#opts;
    const servername = tls?.servername ?? (isIP(host) ? undefined : host);
    const secure = tlsConnect({ ...tls, socket: plain, host, ...(servername ? { servername } : {}) });
    this.#socket = secure;
    this.#attach(secure);
    return new Promise<void>((resolve, reject) => {
      this.#waiter = { resolve: () => resolve(), reject };
      secure.once('secureConnect', () => this.#settle({ code: 0, text: '' }));
    });
  }

  /** Ends setup with `err`, closing the socket; returns it to throw. */
  fail(message: string, code: ConnectionErrorCode, response?: string, cause?: unknown): SmtpConnectionError {
    const err = new SmtpConnectionError(message, code, response, cause);
    this.#lose(err);
    return err;
  }

  #attach(s: Socket): void {
    s.setTimeout(this.#opts.socketTimeout);
    s.on('data', this.#onData);
    s.on('error', this.#onError);
    s.on('close', this.#onClose);
    s.on('timeout', this.#onTimeout);
  }

  #detach(s: Socket): void {
    s.setTimeout(0);
    s.off('data', this.#onData);
    s.off('error', this.#onError);
    s.off('close', this.#onClose);
    s.off('timeout', this.#onTimeout);
  }

  readonly #onData = (chunk: Buffer): void => this.#reader.feed(chunk, this.#onReply);
  readonly #onError = (e: Error): void =>
    this.#lose(new SmtpConnectionError(`The SMTP connection failed: ${e.message}`, 'ECONNECTION', undefined, e));
  readonly #onClose = (): void =>
    this.#lose(new SmtpConnectionError('The SMTP connection closed unexpectedly', 'ECONNECTION'));
  readonly #onTimeout = (): void => {
    // An idle connection that times out is retired, and the pool told so, so it never hands it another message;
    // one with a message in flight fails it.
    if (this.#phase === 'idle') {
      this.#events.lost(new SmtpConnectionError('The idle SMTP connection timed out', 'ETIMEDOUT'));
      return this.quit();
    }
    const ms = this.#opts.socketTimeout;
    this.#lose(new SmtpConnectionError(`The SMTP server did not answer within ${ms} ms`, 'ETIMEDOUT'));
  };

  readonly #onReply = (code: number, text: string): void => {
    switch (this.#phase) {
      case 'setup':
        return this.#settle({ code, text });
      case 'envelope':
        return this.#envelopeReply(code, text);
      case 'body':
        if (code === 250) return this.#finish(undefined, text);
        return this.#refused(new SmtpReplyError('the message', code, text));
      case 'rset':
        return code === 250 ? this.#finish(this.#refusal, this.#refusal!.response) : this.#lose(this.#refusal!);
      case 'idle':
        return this.#lose(new SmtpConnectionError(`The SMTP server said ${code} unasked`, 'EPROTOCOL', text));
      default:
        return;
    }
  };

  #settle(reply: SmtpReplyText): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    if (w) w.resolve(reply);
    else this.#early.push(reply);
  }

  #envelopeReply(code: number, text: string): void {
    const step = this.#step++;
    const to = this.#envelope.to;
    if (step > to.length) return this.#dataReply(code, text);
    if (step === 0) {
      if (code !== 250) this.#refusal = new SmtpReplyError('MAIL FROM', code, text);
    } else if (code === 250 || code === 251) this.#accepted++;
    // The first refusal is the one reported: after a refused MAIL FROM every RCPT is refused as a consequence.
    else this.#refusal ??= new SmtpReplyError('RCPT TO', code, text);
    // Pipelined: the remaining replies are already on their way.
    if (this.capabilities.has('PIPELINING')) return;
    if (step === 0 && this.#refusal) return this.#refused(this.#refusal);
    if (step < to.length) return void this.#socket.write(`RCPT TO:<${to[step]}>\r\n`);
    if (this.#accepted === 0) return this.#refused(this.#refusal!);
    this.#socket.write('DATA\r\n');
  }

  #dataReply(code: number, text: string): void {
    // As nodemailer: a message goes to the recipients that were accepted; it fails when none was.
    const refused = this.#accepted === 0 ? this.#refusal : this.#refusalOfMail();
    if (code !== 354) return this.#refused(refused ?? new SmtpReplyError('DATA', code, text));
    // A server that opens DATA without a valid envelope: nothing can be sent, and the connection is not trusted.
    if (refused) return this.#lose(refused);
    this.#phase = 'body';
    const raw = this.#raw;
    this.#raw = EMPTY;
    this.#socket.write(dataBody(raw));
  }

  #refusalOfMail(): SmtpReplyError | undefined {
    return this.#refusal?.command === 'MAIL FROM' ? this.#refusal : undefined;
  }

  #refused(err: SmtpReplyError): void {
    // RSET ends the refused transaction and keeps the connection (a refused RCPT would leave MAIL FROM open).
    this.#refusal = err;
    this.#phase = 'rset';
    this.#socket.write('RSET\r\n');
  }

  #finish(err: SmtpReplyError | undefined, response: string): void {
    this.#phase = 'idle';
    this.#raw = EMPTY;
    this.#refusal = undefined;
    this.#events.done(err, response);
  }

  #lose(err: Error): void {
    const phase = this.#phase;
    if (phase === 'gone') return;
    this.#phase = 'gone';
    this.#lostWith = err;
    this.#socket.destroy();
    this.#raw = EMPTY;
    const w = this.#waiter;
    this.#waiter = undefined;
    if (phase === 'setup') return w?.reject(err);
    // A refusal already read (MAIL FROM answered 421, say) says more about the message than the closed socket.
    if (phase !== 'closing') this.#events.lost(phase === 'idle' ? err : (this.#refusal ?? err));
  }
}
