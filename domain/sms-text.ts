/** How an SMS is encoded on the wire: GSM 03.38 7-bit (data_coding 0) or UCS-2 (data_coding 8). */
export const SmsEncoding = { gsm7: 'gsm7', ucs2: 'ucs2' } as const;
export type SmsEncoding = (typeof SmsEncoding)[keyof typeof SmsEncoding];

// GSM 03.38 default alphabet and its extension table (each extension character costs two septets).
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€\f');

/** Per-message limits in characters (septets for GSM-7, UTF-16 units for UCS-2): single, and per part when concatenated. */
export const SMS_LIMITS: Readonly<Record<SmsEncoding, { readonly single: number; readonly part: number }>> = {
  gsm7: { single: 160, part: 153 },
  ucs2: { single: 70, part: 67 },
};

/** The SMPP data_coding of each encoding. */
export const DATA_CODING: Readonly<Record<SmsEncoding, number>> = { gsm7: 0, ucs2: 8 };

const units = (c: string, enc: SmsEncoding): number => (enc === 'ucs2' ? c.length : GSM_EXTENDED.has(c) ? 2 : 1);

/** GSM-7 when every character is in the GSM alphabet, otherwise UCS-2 (any Chinese text). */
export function smsEncoding(text: string): SmsEncoding {
  for (const c of text) if (!GSM_BASIC.has(c) && !GSM_EXTENDED.has(c)) return 'ucs2';
  return 'gsm7';
}

/** An SMS split for the wire: its encoding and the text of each part (one part when it fits a single message). */
export interface SmsPlan {
  readonly encoding: SmsEncoding;
  readonly dataCoding: number;
  /** Length in septets (GSM-7) or UTF-16 code units (UCS-2). */
  readonly length: number;
  readonly parts: readonly string[];
}

/** Splits `text` into parts of at most 153 septets or 67 UCS-2 units, never inside a character or an escape pair. */
export function planSms(text: string): SmsPlan {
  const encoding = smsEncoding(text);
  const limit = SMS_LIMITS[encoding];
  const chars = [...text];
  const length = chars.reduce((n, c) => n + units(c, encoding), 0);
  if (length <= limit.single) return { encoding, dataCoding: DATA_CODING[encoding], length, parts: [text] };
  const parts: string[] = [];
  let cur = '';
  let used = 0;
  for (const c of chars) {
    const u = units(c, encoding);
    if (used + u > limit.part) {
      parts.push(cur);
      cur = '';
      used = 0;
    }
    cur += c;
    used += u;
  }
  if (cur) parts.push(cur);
  return { encoding, dataCoding: DATA_CODING[encoding], length, parts };
}

/** Reply keywords that withdraw SMS marketing consent (MIIT Order 31: stop once the user refuses). */
export const OPT_OUT_KEYWORDS: readonly string[] = ['TD', 'T', 'N', 'STOP', '退订'];

/** Whether an inbound message is an opt-out: exactly one keyword, case-insensitive, surrounding space and punctuation ignored. */
export function isOptOutReply(text: string): boolean {
  const t = text
    .normalize('NFKC')
    .trim()
    .replace(/^[\s.。!！]+|[\s.。!！]+$/g, '')
    .toUpperCase();
  return OPT_OUT_KEYWORDS.includes(t);
}

/** A sender signature in 【】 at the very start, as Chinese carriers require of marketing SMS. */
export function hasSignature(source: string): boolean {
  return /^【[^【】\n]+】/.test(source.trimStart());
}

const KEYWORD = OPT_OUT_KEYWORDS.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
// 回复TD退订 / 回T退订 / 退订回N / Reply STOP to opt out: an instruction naming a keyword the inbound handler honours.
const OPT_OUT_INSTRUCTION = new RegExp(
  `(回复?|发送|reply|text)\\s*[“"']?(${KEYWORD})[”"']?|退订\\s*(请)?回复?\\s*(${KEYWORD})`,
  'i',
);

/** Whether the text tells the reader how to refuse further messages with a keyword that is honoured. */
export function hasOptOutInstruction(source: string): boolean {
  return OPT_OUT_INSTRUCTION.test(source);
}
