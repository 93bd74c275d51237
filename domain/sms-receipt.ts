/** What a delivery receipt says happened to a message, as the log records it. */
export const ReceiptOutcome = { delivered: 'delivered', undelivered: 'undelivered', pending: 'pending' } as const;
export type ReceiptOutcome = (typeof ReceiptOutcome)[keyof typeof ReceiptOutcome];

/** A parsed SMPP delivery receipt (SMPP 3.4 appendix B text, or the receipted_message_id TLV). */
export interface SmsReceipt {
  readonly messageId: string;
  /** DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN, REJECTD (or ENROUTE). */
  readonly stat: string;
  readonly err: string;
  readonly outcome: ReceiptOutcome;
  /** The number cannot receive messages: suppress it, like an email hard bounce. */
  readonly permanent: boolean;
}

const STAT_OF_STATE: Readonly<Record<number, string>> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
};

/** Reads a receipt from its text and TLVs; undefined when neither names a message id. */
export function parseReceipt(
  text: string,
  tlv: { receiptedMessageId?: string; messageState?: number } = {},
): SmsReceipt | undefined {
  const field = (name: string): string | undefined => new RegExp(`(?:^|\\s)${name}:(\\S*)`, 'i').exec(text)?.[1];
  const messageId = tlv.receiptedMessageId || field('id');
  if (!messageId) return undefined;
  const stat = (
    field('stat') ??
    (tlv.messageState === undefined ? undefined : STAT_OF_STATE[tlv.messageState]) ??
    'UNKNOWN'
  ).toUpperCase();
  const outcome: ReceiptOutcome =
    stat === 'DELIVRD' ? 'delivered' : stat === 'ACCEPTD' || stat === 'ENROUTE' ? 'pending' : 'undelivered';
  return { messageId, stat, err: field('err') ?? '000', outcome, permanent: stat === 'UNDELIV' || stat === 'REJECTD' };
}

/** The receipt text an SMSC sends back for `messageId` (SMPP 3.4 appendix B). */
export function receiptText(messageId: string, stat: string, submitted: Date, done: Date, err = '000'): string {
  const t = (d: Date): string => d.toISOString().replace(/\D/g, '').slice(2, 12);
  const dlvrd = stat === 'DELIVRD' ? '001' : '000';
  return `id:${messageId} sub:001 dlvrd:${dlvrd} submit date:${t(submitted)} done date:${t(done)} stat:${stat} err:${err} text:`;
}
