// SMTP replies as they arrive on the socket, and the errors a connection fails with. Replies are parsed by position
// (three digits, then '-' for a continuation line), never by regex: one message costs several of them.

/** Collects reply lines from socket data and hands over each complete reply (RFC 5321 4.2, multi-line included). */
export class ReplyReader {
  #partial = '';
  #lines = '';

  /** Feeds one chunk; calls `onReply` for every reply it completes, in order. */
  feed(chunk: Buffer, onReply: (code: number, text: string) => void): void {
    let data = this.#partial + chunk.toString('utf8');
    let start = 0;
    for (let nl = data.indexOf('\n'); nl !== -1; nl = data.indexOf('\n', start)) {
      const end = nl > start && data.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      const line = data.slice(start, end);
      start = nl + 1;
      this.#lines = this.#lines ? `${this.#lines}\n${line}` : line;
      if (line.charCodeAt(3) === 45 /* '-' */) continue;
      const text = this.#lines;
      this.#lines = '';
      const code = Number.parseInt(line.slice(0, 3), 10);
      // A line that does not start with a code is a server that does not speak SMTP: 0 fails whatever waits.
      onReply(Number.isFinite(code) ? code : 0, text);
    }
    data = data.slice(start);
    this.#partial = data;
  }
}

/** The server refused a command of a transaction: its code and text, as `activities/send-deliver.ts` reads them. */
export class SmtpReplyError extends Error {
  readonly responseCode: number;
  readonly response: string;
  readonly command: string;
  constructor(command: string, code: number, response: string) {
    // The server's text stays out of the message: it often repeats the recipient's address.
    super(`The SMTP server refused ${command} with ${code}`);
    this.name = 'SmtpReplyError';
    this.responseCode = code;
    this.response = response;
    this.command = command;
  }
}

/** Connection-level codes, as nodemailer names them: no message of this connection can go out. */
export const ConnectionErrorCode = {
  connection: 'ECONNECTION',
  timeout: 'ETIMEDOUT',
  tls: 'ETLS',
  auth: 'EAUTH',
  protocol: 'EPROTOCOL',
} as const;
export type ConnectionErrorCode = (typeof ConnectionErrorCode)[keyof typeof ConnectionErrorCode];

/**
 * The connection failed or could not be set up (greeting, EHLO, STARTTLS, AUTH): no `responseCode`, so a message
 * it carried is deferred as `smtp_unreachable` rather than logged as refused; `response` keeps what the server said.
 */
export class SmtpConnectionError extends Error {
  readonly code: ConnectionErrorCode;
  readonly response: string | undefined;
  constructor(message: string, code: ConnectionErrorCode, response?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SmtpConnectionError';
    this.code = code;
    this.response = response;
  }
}
