import { join } from 'node:path';
import smpp, { type PDU, type Session } from 'smpp';
import { ulid } from 'ulid';
import { receiptText } from '../../domain/sms-receipt.js';
import { ensurePrivateDirSync, writePrivateFileSync } from '../private-files.js';
import { concatPart } from './concat.js';

/** One message the embedded SMSC accepted (all its parts), as written to the outbox. */
export interface CapturedSms {
  readonly file: string;
  readonly from: string;
  readonly to: string;
  readonly dataCoding: number;
  readonly text: string;
  readonly parts: number;
  /** The message id answered to each part's submit_sm, in part order. */
  readonly messageIds: readonly string[];
  readonly acceptedAt: number;
}

/** An SMSC on loopback that speaks real SMPP 3.4: binds, accepts submit_sm, answers with receipts, and sends MO. */
export interface SmppSink {
  readonly port: number;
  readonly url: string;
  readonly outbox: string;
  readonly received: CapturedSms[];
  /** Receipts for numbers matching `match` report `stat` (UNDELIV, REJECTD, EXPIRED...) instead of DELIVRD. */
  failNumbers(match: (e164: string) => boolean, stat: string): void;
  /** Sends an inbound (MO) message from `from` to every bound session; resolves once one acknowledged it. */
  mo(from: string, text: string, to?: string): Promise<void>;
  stop(): Promise<void>;
}

interface Pending {
  readonly parts: Map<number, { text: string; id: string }>;
  readonly total: number;
}

const textOf = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : typeof (v as { message?: unknown })?.message === 'string'
      ? (v as { message: string }).message
      : '';

/** Starts the embedded SMSC; `credentials` (system_id:password) are required of binds when given. */
export async function startSmppSink(opts: {
  outbox: string;
  port?: number;
  credentials?: { systemId: string; password: string };
}): Promise<SmppSink> {
  ensurePrivateDirSync(opts.outbox);
  const received: CapturedSms[] = [];
  const rules: Array<{ match: (n: string) => boolean; stat: string }> = [];
  const bound = new Set<Session>();
  const pending = new Map<string, Pending>();
  const bindWaiters: Array<(s: Session) => void> = [];

  const receipt = (session: Session, to: string, from: string, id: string, submitted: Date): void => {
    const stat = rules.find((r) => r.match(to))?.stat ?? 'DELIVRD';
    const state = { DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, REJECTD: 8 }[stat] ?? 7;
    session.deliver_sm({
      source_addr: to.replace(/^\+/, ''),
      source_addr_ton: 1,
      destination_addr: from,
      esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
      data_coding: 0,
      short_message: { message: receiptText(id, stat, submitted, new Date()) },
      receipted_message_id: id,
      message_state: state,
    });
  };

  const complete = (
    session: Session,
    from: string,
    to: string,
    dataCoding: number,
    parts: Array<{ text: string; id: string }>,
  ): void => {
    const file = join(opts.outbox, `${ulid()}.json`);
    const msg: CapturedSms = {
      file,
      from,
      to,
      dataCoding,
      text: parts.map((p) => p.text).join(''),
      parts: parts.length,
      messageIds: parts.map((p) => p.id),
      acceptedAt: Date.now(),
    };
    writePrivateFileSync(file, JSON.stringify(msg, null, 2));
    received.push(msg);
    const submitted = new Date();
    // Receipts follow the submit_sm_resp, as a real SMSC's do: one per part.
    setImmediate(() => parts.forEach((p) => receipt(session, to, from, p.id, submitted)));
  };

  const onSubmit = (session: Session, pdu: PDU): void => {
    if (!bound.has(session)) return void session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
    const to = String(pdu.destination_addr ?? '');
    const international = pdu.dest_addr_ton === 1 && /^\d+$/.test(to) ? `+${to}` : to;
    if (!/^\+[1-9]\d{6,14}$/.test(international))
      return void session.send(pdu.response({ command_status: smpp.ESME_RINVDSTADR }));
    const id = ulid();
    const from = String(pdu.source_addr ?? '');
    const dataCoding = Number(pdu.data_coding ?? 0);
    const short = pdu.short_message as { message?: string; udh?: Buffer[] } | undefined;
    const text = textOf(short) || textOf(pdu.message_payload);
    session.send(pdu.response({ message_id: id }));
    const part = concatPart(short?.udh);
    if (!part) return complete(session, from, international, dataCoding, [{ text, id }]);
    const key = `${from}|${international}|${part.ref}`;
    const p = pending.get(key) ?? { parts: new Map(), total: part.total };
    p.parts.set(part.seq, { text, id });
    pending.set(key, p);
    if (p.parts.size < p.total) return;
    pending.delete(key);
    complete(
      session,
      from,
      international,
      dataCoding,
      [...p.parts.entries()].sort(([a], [b]) => a - b).map(([, v]) => v),
    );
  };

  const server = smpp.createServer({}, (session) => {
    session.on('error', () => {});
    session.on('close', () => bound.delete(session));
    session.on('bind_transceiver', (pdu: PDU) => {
      const ok =
        !opts.credentials ||
        (pdu.system_id === opts.credentials.systemId && pdu.password === opts.credentials.password);
      if (ok) bound.add(session);
      if (ok) bindWaiters.splice(0).forEach((w) => w(session));
      session.send(
        pdu.response({ command_status: ok ? smpp.ESME_ROK : smpp.ESME_RBINDFAIL, system_id: 'consentflow-smsc' }),
      );
    });
    session.on('submit_sm', (pdu: PDU) => onSubmit(session, pdu));
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: PDU) => {
      bound.delete(session);
      session.send(pdu.response());
      session.close();
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(
              `Port ${opts.port} is already in use, so the SMPP server cannot start. Choose another with SMPP_PORT, or set SMPP_URL to use a real gateway.`,
            )
          : e,
      ),
    );
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });
  const creds = opts.credentials
    ? `${encodeURIComponent(opts.credentials.systemId)}:${encodeURIComponent(opts.credentials.password)}@`
    : '';
  return {
    port,
    url: `smpp://${creds}127.0.0.1:${port}`,
    outbox: opts.outbox,
    received,
    failNumbers: (match, stat) => void rules.push({ match, stat }),
    mo: async (from, text, to = '10690000') => {
      // A handset's reply waits at the SMSC until a client binds, as it would at a real one.
      const session = [...bound][0] ?? (await new Promise<Session>((resolve) => bindWaiters.push(resolve)));
      return new Promise<void>((resolve, reject) => {
        session.deliver_sm(
          {
            source_addr: from.replace(/^\+/, ''),
            source_addr_ton: 1,
            destination_addr: to,
            esm_class: 0,
            short_message: { message: text },
          },
          (resp) =>
            resp.command_status === 0
              ? resolve()
              : reject(new Error(`deliver_sm answered status ${resp.command_status}`)),
        );
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of server.sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
