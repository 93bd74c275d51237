// smpp 0.5 ships no types; these cover the session, server and PDU surface consentflow uses.
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer } from 'node:net';

  /** A decoded PDU: the header plus whatever mandatory parameters and TLVs the command carries. */
  export interface PDU {
    command: string;
    command_status: number;
    sequence_number: number;
    [param: string]: unknown;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): PDU;
  }

  export class Session extends EventEmitter {
    send(pdu: PDU, responseCallback?: (pdu: PDU) => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
    bind_transceiver(options: Record<string, unknown>, responseCallback?: (pdu: PDU) => void): boolean;
    submit_sm(options: Record<string, unknown>, responseCallback?: (pdu: PDU) => void): boolean;
    deliver_sm(options: Record<string, unknown>, responseCallback?: (pdu: PDU) => void): boolean;
    enquire_link(options?: Record<string, unknown>, responseCallback?: (pdu: PDU) => void): boolean;
    unbind(options?: Record<string, unknown>, responseCallback?: (pdu: PDU) => void): boolean;
  }

  export interface Server extends NetServer {
    readonly sessions: Session[];
  }

  export function createServer(options: Record<string, unknown>, listener: (session: Session) => void): Server;
  export function connect(
    options: { url?: string; host?: string; port?: number; auto_enquire_link_period?: number },
    listener?: () => void,
  ): Session;

  export const ESM_CLASS: {
    readonly DATAGRAM: number;
    readonly MC_DELIVERY_RECEIPT: number;
    readonly UDH_INDICATOR: number;
  };
  export const ESME_ROK: number;
  export const ESME_RBINDFAIL: number;
  export const ESME_RINVDSTADR: number;
  export const ESME_RSYSERR: number;
  export const ESME_RINVBNDSTS: number;
}
