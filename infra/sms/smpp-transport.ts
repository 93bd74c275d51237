import smpp, { type PDU, type Session } from 'smpp';
import { planSms } from '../../domain/sms-text.js';
import { concatUdh } from './concat.js';

/** A message for the wire: the E.164 number and the rendered text (only released fields went into it). */
export interface SmsMessage {
  readonly to: string;
  readonly text: string;
}

/** What the SMSC answered: one message id per part. */
export interface SmsResult {
  readonly messageIds: readonly string[];
  readonly dataCoding: number;
}

/** The SMSC refused a part (submit_sm_resp status), or the gateway could not be reached (`status` undefined). */
export class SmsSubmitError extends Error {
  override readonly name = 'SmsSubmitError';
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
  /** Statuses that no retry can fix: a bad or barred destination, a rejected message. */
  get permanent(): boolean {
    return this.status === 0x0b || this.status === 0x0a || this.status === 0x45 || this.status === 0x01;
  }
}

/** What arrives on the bound session: delivery receipts and inbound (MO) messages, each acknowledged after it is handled. */
export interface SmsInboundHandler {
  (pdu: {
    readonly receipt: boolean;
    readonly from: string;
    readonly fromTon: number;
    readonly text: string;
    readonly receiptedMessageId?: string;
    readonly messageState?: number;
  }): Promise<void>;
}

/** The SMS channel port; the real one speaks SMPP over one bound transceiver session. */
export interface SmsSender {
  /** Binds now (and again after a drop), so replies and receipts arrive even while nothing is being sent. */
  open(): void;
  /** Submits every part; `accepted` runs (and is awaited) before any receipt for these ids is handled. */
  send(m: SmsMessage, accepted: (r: SmsResult) => Promise<void>): Promise<SmsResult>;
  close(): Promise<void>;
}

const textOf = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : typeof (v as { message?: unknown })?.message === 'string'
      ? (v as { message: string }).message
      : '';

/**
 * Binds a transceiver to `smppUrl` (smpp://system_id:password@host:port) on first use and rebinds after a drop.
 * Long messages go out as concatenated parts with a UDH; receipts and MO go to `inbound`.
 */
export function createSmsSender(
  smppUrl: string,
  opts: { sourceAddr: string; inbound: SmsInboundHandler; responseTimeoutMs?: number },
): SmsSender {
  const u = new URL(smppUrl);
  // A silent gateway must not hold a send past the in-flight reservation (30 s), after which a withdrawal is
  // acknowledged: an unanswered bind or submit is a transient failure, and the retry re-checks consent first.
  const patience = opts.responseTimeoutMs ?? 10_000;
  const bounded = <T>(what: string, p: Promise<T>, onTimeout?: () => void): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout?.();
        reject(
          new SmsSubmitError(
            `SMPP gateway ${u.hostname}:${u.port} did not answer the ${what} within ${patience / 1000}s`,
            undefined,
          ),
        );
      }, patience);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  };
  let bound: Promise<Session> | undefined;
  let closing = false;
  let rebind: NodeJS.Timeout | undefined;
  let ref = Math.floor(Math.random() * 256);
  // Receipts wait for the record of the submit they answer, which the SMSC may send before that record is written.
  const recording = new Set<Promise<unknown>>();
  // Submits awaiting their response: a dropped connection fails them instead of leaving the send hanging.
  const waiting = new Set<(e: Error) => void>();
  const dropped = (why: string): void => {
    bound = undefined;
    for (const fail of waiting) fail(new SmsSubmitError(why, undefined));
    waiting.clear();
  };

  const onDeliver = (session: Session, pdu: PDU): void => {
    const receipt = (Number(pdu.esm_class ?? 0) & 0x3c) === smpp.ESM_CLASS.MC_DELIVERY_RECEIPT;
    const inbound = {
      receipt,
      from: String(pdu.source_addr ?? ''),
      fromTon: Number(pdu.source_addr_ton ?? 0),
      text: textOf(pdu.short_message) || textOf(pdu.message_payload),
      ...(typeof pdu.receipted_message_id === 'string' ? { receiptedMessageId: pdu.receipted_message_id } : {}),
      ...(typeof pdu.message_state === 'number' ? { messageState: pdu.message_state } : {}),
    };
    // Acknowledged only once handled: a failed handler answers an error, so the SMSC delivers it again. The
    // handler starts after this read's microtasks, in which the submit that this receipt answers registers its record.
    void new Promise((r) => setImmediate(r))
      .then(() => Promise.all([...recording]))
      .then(() => opts.inbound(inbound))
      .then(
        () => session.send(pdu.response()),
        () => session.send(pdu.response({ command_status: smpp.ESME_RSYSERR })),
      );
  };

  const bind = (): Promise<Session> => {
    let opened: Session | undefined;
    return bounded(
      'bind',
      new Promise<Session>((resolve, reject) => {
        const session = smpp.connect(
          { host: u.hostname, port: Number(u.port || 2775), auto_enquire_link_period: 30_000 },
          () => {
            session.bind_transceiver(
              { system_id: decodeURIComponent(u.username), password: decodeURIComponent(u.password) },
              (resp) => {
                if (resp.command_status !== 0)
                  return reject(
                    new SmsSubmitError(
                      `the SMPP gateway refused the bind (status ${resp.command_status}); check the system_id and password in SMPP_URL`,
                      undefined,
                    ),
                  );
                resolve(session);
              },
            );
          },
        );
        session.on('deliver_sm', (pdu: PDU) => onDeliver(session, pdu));
        session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
        session.on('error', (e: Error) => {
          dropped(`SMPP gateway ${u.hostname}:${u.port}: ${e.message}`);
          reject(new SmsSubmitError(`SMPP gateway ${u.hostname}:${u.port}: ${e.message}`, undefined));
        });
        session.on('close', () => {
          dropped(`SMPP gateway ${u.hostname}:${u.port} closed the connection`);
          // Stay bound for inbound traffic: a dropped session is re-bound after a pause (sends re-bind on their own).
          if (!closing) {
            clearTimeout(rebind);
            rebind = setTimeout(open, 1000);
            rebind.unref();
          }
          reject(new SmsSubmitError(`SMPP gateway ${u.hostname}:${u.port} closed the connection`, undefined));
        });
        opened = session;
      }),
      () => opened?.destroy(),
    );
  };

  const submit = (session: Session, params: Record<string, unknown>): Promise<string> =>
    bounded(
      'submit_sm',
      new Promise((resolve, reject) => {
        waiting.add(reject);
        const sent = session.submit_sm(params, (resp) => {
          waiting.delete(reject);
          if (resp.command_status === 0) resolve(String(resp.message_id));
          else
            reject(
              new SmsSubmitError(
                `the SMSC refused the message (status 0x${resp.command_status.toString(16)})`,
                resp.command_status,
              ),
            );
        });
        if (!sent) {
          waiting.delete(reject);
          reject(new SmsSubmitError('the SMPP session is not writable', undefined));
        }
      }),
    );

  function open(): void {
    if (closing || bound) return;
    bound = bind();
    bound.catch(() => {});
  }

  return {
    open,
    async send(m, accepted) {
      bound ??= bind();
      const session = await bound.catch((e: unknown) => {
        bound = undefined;
        throw e;
      });
      const plan = planSms(m.text);
      ref = (ref + 1) % 256;
      const base = {
        source_addr: opts.sourceAddr,
        destination_addr: m.to.replace(/^\+/, ''),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        registered_delivery: 1,
        data_coding: plan.dataCoding,
      };
      const single = plan.parts.length === 1;
      let record!: Promise<void>;
      // The record of the ids is registered before the last response is handled, so a receipt never overtakes it.
      const ids = await new Promise<string[]>((resolve, reject) => {
        const all = plan.parts.map((text, i) =>
          submit(session, {
            ...base,
            short_message: single
              ? { message: text }
              : { udh: concatUdh(ref, plan.parts.length, i + 1), message: text },
          }),
        );
        Promise.all(all).then((messageIds) => {
          record = accepted({ messageIds, dataCoding: plan.dataCoding });
          recording.add(record);
          void record.finally(() => recording.delete(record)).catch(() => {});
          resolve(messageIds);
        }, reject);
      });
      await record;
      return { messageIds: ids, dataCoding: plan.dataCoding };
    },
    async close() {
      closing = true;
      clearTimeout(rebind);
      const s = await bound?.catch(() => undefined);
      bound = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
