// The mail thread: composes, DKIM-signs and sends each message handed over by threaded-mailer.ts on its own pool of
// SMTP connections, and posts back the server's answer or the error with its SMTP fields.
import { parentPort, workerData } from 'node:worker_threads';
import { createMailer, type MailerConfig, type MailerOptions, type OutboundMessage } from './transport.js';

/** What the thread is started with (structured-cloned: plain data only). */
export interface MailThreadData {
  readonly config: MailerConfig;
  readonly smtpUrl: string;
  readonly opts: Omit<MailerOptions, 'now'>;
}

/** A send handed to the thread, or the request to close its connections and end. */
export type MailThreadRequest = { readonly id: number; readonly message: OutboundMessage } | { readonly close: true };

/** The thread's answer to send `id`: the result, or the error as plain fields (name, message and the SMTP ones). */
export type MailThreadReply =
  | { readonly id: number; readonly result: { messageId: string; response: string; code: number } }
  | { readonly id: number; readonly error: Record<string, unknown> };

/** An error's own fields that cross the thread boundary: what the send path reads (responseCode, response). */
function errorFields(e: unknown): Record<string, unknown> {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const out: Record<string, unknown> = { name: e.name, message: e.message };
  for (const [k, v] of Object.entries(e)) if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  return out;
}

if (parentPort) {
  const port = parentPort;
  const { config, smtpUrl, opts } = workerData as MailThreadData;
  const mailer = createMailer(config, smtpUrl, opts);
  port.on('message', (req: MailThreadRequest) => {
    if ('close' in req) {
      mailer.close();
      port.close();
      return;
    }
    mailer.send(req.message).then(
      (result) => port.postMessage({ id: req.id, result } satisfies MailThreadReply),
      (e: unknown) => port.postMessage({ id: req.id, error: errorFields(e) } satisfies MailThreadReply),
    );
  });
}
