import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const { temporal } = proto;
const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A payload names a key id this process does not hold; decoding cannot proceed. */
export class CodecKeyUnknownError extends Error {
  override readonly name = 'CodecKeyUnknownError';
}

/**
 * Encrypts every Temporal payload with AES-256-GCM so the server's history never holds plaintext personal data.
 * Older key ids stay decodable for rotation; new payloads use `currentKeyId`.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(
    private readonly currentKeyId: string,
    private readonly keys: ReadonlyMap<string, Buffer>,
  ) {
    if (!keys.has(currentKeyId)) throw new CodecKeyUnknownError(`codec key id ${currentKeyId} has no key`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.currentKeyId)!;
    return payloads.map((p) => {
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: encoder.encode(ENCODING), [KEY_ID]: encoder.encode(this.currentKeyId) },
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const enc = p.metadata?.[METADATA_ENCODING_KEY];
      if (!enc || decoder.decode(enc) !== ENCODING) return p;
      const rawId = p.metadata?.[KEY_ID];
      const keyId = rawId ? decoder.decode(rawId) : '';
      const key = this.keys.get(keyId);
      if (!key)
        throw new CodecKeyUnknownError(
          `payload was encrypted with key id "${keyId}", which this process does not hold; add it to the codec keys`,
        );
      const data = Buffer.from(p.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
