import { ensurePrivateDirSync, writePrivateFileSync } from '../private-files.js';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { ulid } from 'ulid';

/** One message the sink accepted, as written to disk. */
export interface CapturedMessage {
  readonly file: string;
  readonly envelopeFrom: string;
  readonly envelopeTo: string[];
  readonly size: number;
  /** The Message-ID header, so tests can tell a resend of the same message from a second message. */
  readonly messageId: string | undefined;
  /** When the sink accepted the message (ms), just before it answered 250: the moment the send took effect. */
  readonly acceptedAt: number;
}

/** An SMTP server that speaks real SMTP and stores every accepted message as an .eml file. */
export interface SmtpSink {
  readonly port: number;
  readonly url: string;
  readonly outbox: string;
  readonly received: CapturedMessage[];
  /** Makes RCPT TO for addresses matching `match` fail with `code`, `times` times (default: always), for bounce and retry tests. */
  failRecipients(match: (address: string) => boolean, code: number, message?: string, times?: number): void;
  /**
   * Hands mail to `address` to `intake` instead of the outbox (the dev abuse mailbox: feedback-loop reports). A
   * rejection of `intake` (a store is down) answers 451, so the reporter retries; anything else is accepted.
   */
  acceptAbuse(address: string, intake: (raw: Buffer) => Promise<unknown>): void;
  /** Holds RCPT TO for addresses matching `match` until `release` settles, so a test can keep a send in flight. */
  holdRecipients(match: (address: string) => boolean, release: Promise<void>): void;
  stop(): Promise<void>;
}

/** Starts the dev/test SMTP sink on loopback; `port` 0 picks a free one. */
export async function startSmtpSink(opts: { outbox: string; port?: number; writeFiles?: boolean }): Promise<SmtpSink> {
  ensurePrivateDirSync(opts.outbox);
  const received: CapturedMessage[] = [];
  const rules: Array<{ match: (a: string) => boolean; code: number; message: string; left: number }> = [];
  const holds: Array<{ match: (a: string) => boolean; release: Promise<void> }> = [];
  const writeFiles = opts.writeFiles ?? true;
  let abuse: { address: string; intake: (raw: Buffer) => Promise<unknown> } | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    size: 10 * 1024 * 1024,
    onRcptTo(address, _session, cb) {
      const rule = rules.find((r) => r.left > 0 && r.match(address.address));
      if (rule) {
        rule.left--;
        const err = Object.assign(new Error(rule.message), { responseCode: rule.code });
        return cb(err);
      }
      const hold = holds.find((h) => h.match(address.address));
      if (hold)
        return void hold.release.then(
          () => cb(),
          () => cb(),
        );
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const toAbuse = abuse && session.envelope.rcptTo.some((r) => r.address.toLowerCase() === abuse!.address);
        if (abuse && toAbuse) {
          abuse.intake(raw).then(
            () => cb(null, 'report received'),
            () => cb(Object.assign(new Error('complaint intake unavailable, try again later'), { responseCode: 451 })),
          );
          return;
        }
        const file = join(opts.outbox, `${ulid()}.eml`);
        if (writeFiles) writePrivateFileSync(file, raw);
        received.push({
          file,
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          size: raw.length,
          messageId: /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw.subarray(0, 8192).toString('latin1'))?.[1],
          acceptedAt: Date.now(),
        });
        cb(null, `queued as ${file.slice(-30, -4)}`);
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(
              `Port ${opts.port} is already in use, so the SMTP sink cannot start. Choose another with SMTP_PORT, or set SMTP_URL to use a real relay.`,
            )
          : e,
      ),
    );
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      // smtp-server re-emits every client's socket error (a client killed mid-session resets) on the server.
      server.on('error', () => {});
      const addr = server.server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    outbox: opts.outbox,
    received,
    failRecipients: (match, code, message = 'mailbox unavailable', times = Infinity) =>
      void rules.push({ match, code, message, left: times }),
    acceptAbuse: (address, intake) => void (abuse = { address: address.toLowerCase(), intake }),
    holdRecipients: (match, release) => void holds.push({ match, release }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
