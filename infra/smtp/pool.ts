import type { Socket } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';

/** Where and how the pool connects; `openSocket` opens the TCP connection (see connectNoDelay). */
export interface SmtpPoolOptions {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (smtps); otherwise STARTTLS when the server offers it, as nodemailer does. */
  readonly secure: boolean;
  readonly auth?: { readonly user: string; readonly pass: string };
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
  conn?: SMTPConnection;
  job?: Pending;
}

const connectionError = (message: string) => Object.assign(new Error(message), { code: 'ECONNECTION' });

/**
 * Up to `maxConnections` SMTP connections, each sending one message at a time, with a queue in front. nodemailer's
 * own pool wraps every message in a MIME node and a stream; this one hands the finished bytes to the connection.
 * Errors are nodemailer's: an SMTP answer carries `responseCode` and `response`, a connection failure neither.
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
      const conn = new SMTPConnection({
        host: o.host,
        port: o.port,
        secure: o.secure,
        connectionTimeout: o.connectionTimeout,
        greetingTimeout: o.greetingTimeout,
        socketTimeout: o.socketTimeout,
        connection: socketOptions.connection,
      });
      slot.conn = conn;
      // Listened for as long as the connection lives: an error nobody hears would end the process.
      conn.on('error', (e: Error) => this.#fail(slot, e));
      conn.once('end', () => this.#fail(slot, connectionError('The SMTP connection closed unexpectedly')));
      conn.connect(() => {
        // As nodemailer's pool: log in only when the server offers AUTH (its declared types leave the flag out).
        if (!o.auth || !(conn as unknown as { allowsAuth: boolean }).allowsAuth) return this.#ready(slot);
        conn.login({ credentials: { user: o.auth.user, pass: o.auth.pass } }, (e) =>
          e ? this.#fail(slot, e) : this.#ready(slot),
        );
      });
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
    const conn = slot.conn!;
    conn.send({ from: job.envelope.from, to: [...job.envelope.to] }, job.raw, (err, info) => {
      // Already failed by the connection's error or end.
      if (slot.job !== job) return;
      slot.job = undefined;
      if (!err) {
        job.resolve(info.response);
        return this.#release(slot);
      }
      job.reject(err);
      // A refused transaction leaves a usable connection: RSET clears it (a RCPT refusal would otherwise leave
      // MAIL FROM open). Anything else drops the connection, as nodemailer's pool does.
      if (typeof err.responseCode !== 'number') return this.#drop(slot, false);
      conn.reset((e) => (e ? this.#drop(slot, false) : this.#release(slot)));
    });
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
