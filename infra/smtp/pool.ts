import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import { SmtpConnection, type SmtpConnectionEvents } from './connection.js';
import type { SmtpReplyError } from './smtp-reply.js';
import { SmtpConnectionError } from './smtp-reply.js';

/** Where and how the pool connects; `openSocket` opens the TCP connection (see connectNoDelay). */
export interface SmtpPoolOptions {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (smtps); otherwise STARTTLS when the server offers it, as nodemailer does. */
  readonly secure: boolean;
  readonly auth?: { readonly user: string; readonly pass: string };
  /** For tls.connect (ca, servername, ...); certificates are verified unless these say otherwise. */
  readonly tls?: ConnectionOptions;
  /** The EHLO name; by default this host's name when it has a dot, else [127.0.0.1], as nodemailer does. */
  readonly name?: string;
  readonly maxConnections: number;
  readonly connectionTimeout: number;
  readonly greetingTimeout: number;
  readonly socketTimeout: number;
  readonly openSocket: (done: (err: Error | null, socketOptions?: { connection: Socket }) => void) => void;
}

/** One recipient's envelope and the finished message, as it goes on the wire. */
export interface SmtpJob {
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  readonly raw: Buffer;
}

interface Pending extends SmtpJob {
  resolve(response: string): void;
  reject(err: Error): void;
}

interface Slot {
  state: 'connecting' | 'idle' | 'busy' | 'gone';
  conn?: SmtpConnection;
  job?: Pending;
}

const connectionError = (message: string) => new SmtpConnectionError(message, 'ECONNECTION');

function defaultName(): string {
  const host = hostname();
  return host.includes('.') ? host : '[127.0.0.1]';
}

/**
 * Up to `maxConnections` SMTP connections, each sending one message at a time, with a queue in front; the
 * finished bytes go to the connection as they are. Errors keep nodemailer's shape: an SMTP refusal of a message
 * carries `responseCode` and `response`, a connection failure (setup included) no `responseCode`.
 */
export class SmtpPool {
  readonly #opts: SmtpPoolOptions;
  readonly #queue: Pending[] = [];
  readonly #idle: Slot[] = [];
  readonly #slots = new Set<Slot>();
  #closed = false;

  constructor(opts: SmtpPoolOptions) {
    this.#opts = opts;
  }

  /** Sends `raw` to the envelope's recipients; resolves with the server's final answer to DATA. */
  send(job: SmtpJob): Promise<string> {
    if (this.#closed) return Promise.reject(connectionError('The SMTP pool is closed; no message can be sent'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...job, resolve, reject });
      this.#pump();
    });
  }

  /** Refuses queued messages, lets messages on the wire finish, and says QUIT on every connection. */
  close(): void {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(connectionError('The SMTP pool closed before this message'));
    for (const slot of this.#idle.splice(0)) this.#drop(slot, true);
  }

  /** Connections open or opening, for tests. */
  get size(): number {
    return this.#slots.size;
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const slot = this.#idle.pop();
      if (slot) this.#run(slot, this.#queue.shift()!);
      else if (this.#slots.size < this.#opts.maxConnections) this.#open(this.#queue.shift()!);
      else return;
    }
  }

  #open(job: Pending): void {
    const slot: Slot = { state: 'connecting', job };
    this.#slots.add(slot);
    const o = this.#opts;
    o.openSocket((err, socketOptions) => {
      if (err || !socketOptions) return this.#fail(slot, err ?? connectionError('No socket to the SMTP server'));
      if (slot.state === 'gone') return void socketOptions.connection.destroy();
      const events: SmtpConnectionEvents = {
        done: (err, response) => this.#done(slot, err, response),
        lost: (err) => this.#fail(slot, err),
      };
      const conn = new SmtpConnection(
        socketOptions.connection,
        {
          host: o.host,
          secure: o.secure,
          ...(o.tls ? { tls: o.tls } : {}),
          ...(o.auth ? { auth: o.auth } : {}),
          name: o.name ?? defaultName(),
          connectionTimeout: o.connectionTimeout,
          greetingTimeout: o.greetingTimeout,
          socketTimeout: o.socketTimeout,
        },
        events,
      );
      slot.conn = conn;
      conn.open().then(
        () => this.#ready(slot),
        (e: Error) => this.#fail(slot, e),
      );
    });
  }

  #ready(slot: Slot): void {
    if (slot.state === 'gone') return;
    const job = slot.job;
    slot.job = undefined;
    if (job) this.#run(slot, job);
    else this.#release(slot);
  }

  #run(slot: Slot, job: Pending): void {
    slot.state = 'busy';
    slot.job = job;
    try {
      slot.conn!.send(job.envelope, job.raw);
    } catch (e) {
      // A connection that cannot take the message is dropped; the message fails as a connection error.
      this.#fail(slot, connectionError((e as Error).message));
    }
  }

  #done(slot: Slot, err: SmtpReplyError | undefined, response: string): void {
    const job = slot.job;
    slot.job = undefined;
    // A refused transaction was already cleared with RSET: the connection takes the next message.
    if (err) job?.reject(err);
    else job?.resolve(response);
    this.#release(slot);
  }

  #release(slot: Slot): void {
    if (slot.state === 'gone') return;
    if (this.#closed) return this.#drop(slot, true);
    slot.state = 'idle';
    this.#idle.push(slot);
    this.#pump();
  }

  #fail(slot: Slot, err: Error): void {
    if (slot.state === 'gone') return;
    const job = slot.job;
    slot.job = undefined;
    this.#drop(slot, false);
    job?.reject(err);
    // A replacement is opened only for messages still waiting.
    this.#pump();
  }

  #drop(slot: Slot, quit: boolean): void {
    if (slot.state === 'gone') return;
    slot.state = 'gone';
    this.#slots.delete(slot);
    const i = this.#idle.indexOf(slot);
    if (i >= 0) this.#idle.splice(i, 1);
    if (quit) slot.conn?.quit();
    else slot.conn?.close();
  }
}
