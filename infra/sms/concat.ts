/** One part of a concatenated SMS, from its user data header (IE 0x00 with an 8-bit reference, or 0x08 with 16-bit). */
export interface ConcatPart {
  readonly ref: number;
  readonly total: number;
  readonly seq: number;
}

/** The user data header of part `seq` of `total`, with an 8-bit reference (IE 0x00, the one every SMSC reads). */
export function concatUdh(ref: number, total: number, seq: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, seq]);
}

/** Finds the concatenation element among the information elements smpp decoded from a UDH. */
export function concatPart(udh: readonly Buffer[] | undefined): ConcatPart | undefined {
  for (const ie of udh ?? []) {
    if (ie[0] === 0x00 && ie.length >= 5) return { ref: ie[2]!, total: ie[3]!, seq: ie[4]! };
    if (ie[0] === 0x08 && ie.length >= 6) return { ref: ie.readUInt16BE(2), total: ie[4]!, seq: ie[5]! };
  }
  return undefined;
}
