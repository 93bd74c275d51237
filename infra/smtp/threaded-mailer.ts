import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { MailThreadData, MailThreadReply, MailThreadRequest } from './mailer-thread.js';
import { MAILER_ENV, type Mailer, type MailerConfig, type MailerOptions, type SmtpResult } from './transport.js';

/**
 * A thread running mailer-thread: the built .js beside this file, or, from the TypeScript sources (a checkout, the
 * tests), the .ts source through tsx's loader, registered in the thread first (node 20 does not carry the process's
 * loader hooks into a worker thread).
 */
function spawnThread(options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./mailer-thread.js', import.meta.url), options);
  const source = new URL('./mailer-thread.ts', import.meta.url).href;
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${api}).then((tsx) => tsx.tsImport(${JSON.stringify(source)}, ${api}));`;
  return new Worker(boot, { ...options, eval: true });
}

/**
 * The thread's heap: a few hundred messages in flight at most, so a small young generation and old generation; the
 * process's own heap flags (set for the main thread's large working set) would otherwise apply to it too.
 */
const THREAD_HEAP = { maxYoungGenerationSizeMb: 12, maxOldGenerationSizeMb: 96 };

/** Each threaded mailer's running thread, for the tests (a thread that dies) and diagnostics. */
const threads = new WeakMap<Mailer, () => Worker | undefined>();

/** The thread a threaded mailer is running now (none before its first send, after close, or once it died). */
export function mailThreadOf(mailer: Mailer): Worker | undefined {
  return threads.get(mailer)?.();
}

/** A send handed to a thread, waiting for its answer. */
interface Pending {
  readonly resolve: (r: SmtpResult) => void;
  readonly reject: (e: Error) => void;
}

/** The error a send rejects with, rebuilt from the thread's plain fields (responseCode, response, code...). */
function rebuilt(fields: Record<string, unknown>): Error {
  const e = new Error(String(fields.message ?? 'the mail thread failed'));
  Object.assign(e, fields);
  return e;
}

/**
 * What a mail thread starts with: the mailer's own environment variables (MAILER_ENV) and no other, so the
 * configuration's other secrets (master, log and token keys) are never copied into it.
 */
export function mailThreadData(
  config: MailerConfig,
  smtpUrl: string,
  opts: Omit<MailerOptions, 'now'>,
): MailThreadData {
  const env = Object.fromEntries(MAILER_ENV.map((k) => [k, config.env[k]])) as MailerConfig['env'];
  return { config: { env, sender: config.sender }, smtpUrl, opts };
}

/**
 * The same mailer as createMailer (transport.ts), run on a thread of its own: composing, encoding, DKIM signing
 * and the SMTP conversations use a second core, while the caller's thread keeps the guard, the ledger and the log.
 * A message crosses as its rendered parts; the answer or the error (with its SMTP code) comes back. If the thread
 * ends, its unanswered sends fail as connection failures (transient: the send path defers them) and the next send
 * starts a new one.
 */
export function createThreadedMailer(
  config: MailerConfig,
  smtpUrl: string,
  opts: Omit<MailerOptions, 'now'> = {},
): Mailer {
  const data = mailThreadData(config, smtpUrl, opts);
  let nextId = 0;
  /** The running thread and the sends it has not answered: each thread's own, so one's end fails no other's. */
  let current: { readonly worker: Worker; readonly pending: Map<number, Pending> } | undefined;
  let closed = false;
  const start = () => {
    const worker = spawnThread({ workerData: data, resourceLimits: THREAD_HEAP });
    const pending = new Map<number, Pending>();
    const lost = (message: string) => {
      if (current?.worker === worker) current = undefined;
      for (const p of pending.values()) p.reject(rebuilt({ name: 'SmtpConnectionError', message }));
      pending.clear();
    };
    worker.on('message', (reply: MailThreadReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if ('result' in reply) p.resolve(reply.result);
      else p.reject(rebuilt(reply.error));
    });
    worker.on('error', (e) => lost(`the mail thread failed: ${e.message}`));
    worker.on('exit', (code) => lost(`the mail thread ended (exit ${code})`));
    return { worker, pending };
  };
  const mailer: Mailer = {
    send(message) {
      if (closed) return Promise.reject(new Error('the mailer is closed'));
      const t = (current ??= start());
      const id = nextId++;
      return new Promise<SmtpResult>((resolve, reject) => {
        t.pending.set(id, { resolve, reject });
        t.worker.postMessage({ id, message } satisfies MailThreadRequest);
      });
    },
    close() {
      closed = true;
      current?.worker.postMessage({ close: true } satisfies MailThreadRequest);
      current = undefined;
    },
  };
  threads.set(mailer, () => current?.worker);
  return mailer;
}
