import { createCipheriv, hkdfSync, randomFillSync, webcrypto } from 'node:crypto';
import { compactDecrypt } from 'jose';
import { z } from 'zod';
import { SubjectRef } from '../domain/ids.js';
import type { KeyRing, VersionedKey } from './keyring.js';
import { LEGACY_TOKEN, openLegacyToken } from './tokens-legacy.js';

/** What a subject link lets its holder do. */
export const TokenScope = {
  unsubscribe: 'unsubscribe',
  why: 'why',
  preferences: 'preferences',
  confirm: 'confirm',
} as const;
export type TokenScope = (typeof TokenScope)[keyof typeof TokenScope];

/** The claims inside a subject link token: pseudonymous only, never an address. */
export const TokenClaims = z
  .object({
    v: z.literal(1),
    scope: z.enum(TokenScope),
    sub: SubjectRef,
    purpose: z.string().max(128).optional(),
    channel: z.string().max(16).optional(),
    campaign: z.string().max(128).optional(),
    decision: z.string().max(32).optional(),
    exp: z.number().int(),
  })
  .strict();
export type TokenClaims = z.infer<typeof TokenClaims>;

/** Why a token was refused; stable codes for API error bodies. */
export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; code: 'malformed' | 'bad_signature' | 'expired' | 'wrong_scope'; message: string };

const JWE_TOKEN = /^[A-Za-z0-9_-]{20,200}\.\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{20,1500}\.[A-Za-z0-9_-]{22}$/;
/** Every link token the API accepts: a JWE (dir + A256GCM, with kid) or, until they expire, a v1 signed link. */
export const LINK_TOKEN_PATTERN = `^(?:${JWE_TOKEN.source.slice(1, -1)}|${LEGACY_TOKEN.source.slice(1, -1)})$`;

// HKDF gives the content key exactly the 32 bytes A256GCM needs and keeps it apart from other uses of the secret.
const cek = (k: VersionedKey): Buffer =>
  Buffer.from(hkdfSync('sha256', k.key, Buffer.alloc(0), 'consentflow/link-jwe/v1', 32));
const refused = {
  ok: false,
  code: 'bad_signature',
  message: 'this link is not valid; use the link from your latest email',
} as const;

/**
 * Fresh random 96-bit GCM nonces, drawn from the CSPRNG a few hundred at a time (one draw per token costs more than
 * the encryption). Random nonces under one key stay far below the 2^32 messages NIST SP 800-38D allows.
 */
class IvPool {
  #buf = Buffer.alloc(0);
  #at = 0;
  next(): Buffer {
    if (this.#at + 12 > this.#buf.length) {
      this.#buf = randomFillSync(Buffer.alloc(12 * 256));
      this.#at = 0;
    }
    const iv = this.#buf.subarray(this.#at, this.#at + 12);
    this.#at += 12;
    return iv;
  }
}

/** Encrypts and authenticates subject link tokens (JWE, key id in the header) under the token key ring. */
export class LinkTokens {
  readonly #ring: KeyRing;
  readonly #byId: ReadonlyMap<string, Promise<webcrypto.CryptoKey>>;
  /** The current key's content key and the base64url protected header every token it signs carries. */
  readonly #signing: { readonly key: Buffer; readonly header: string; readonly aad: Buffer };
  readonly #ivs = new IvPool();

  constructor(
    ring: KeyRing,
    private readonly now: () => number = Date.now,
  ) {
    this.#ring = ring;
    // Imported once: given raw bytes, jose imports the key again on every call (three links per message).
    const importCek = (k: VersionedKey) =>
      webcrypto.subtle.importKey('raw', cek(k), 'AES-GCM', false, ['encrypt', 'decrypt']);
    this.#byId = new Map([ring.current, ...ring.previous].map((k) => [k.id, importCek(k)]));
    const header = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid: ring.current.id })).toString(
      'base64url',
    );
    this.#signing = { key: cek(ring.current), header, aad: Buffer.from(header, 'ascii') };
  }

  /** A token valid for `ttlDays` (default 400: unsubscribe links must keep working well past 30 days, CAN-SPAM). */
  // The compact JWE (RFC 7516 section 7.1) is written with node's AES-GCM directly: jose goes through WebCrypto,
  // several times the CPU of the three links a message carries. jose still reads every token (verify, and a test).
  async sign(claims: Omit<TokenClaims, 'v' | 'exp'>, ttlDays = 400): Promise<string> {
    return this.signNow(claims, ttlDays);
  }

  /** `sign` without the promise, for the send path's three links per message. */
  signNow(claims: Omit<TokenClaims, 'v' | 'exp'>, ttlDays = 400): string {
    const body = JSON.stringify({ v: 1, ...claims, exp: Math.floor(this.now() / 1000) + ttlDays * 86_400 });
    const { key, header, aad } = this.#signing;
    const iv = this.#ivs.next();
    const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update(body, 'utf8'), cipher.final()]);
    return `${header}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher
      .getAuthTag()
      .toString('base64url')}`;
  }

  /** Decrypts and checks expiry and scope; a forged, expired or re-targeted token is refused. */
  async verify(token: string, scope: TokenScope): Promise<TokenCheck> {
    let raw: unknown;
    if (JWE_TOKEN.test(token)) {
      try {
        const { plaintext } = await compactDecrypt(
          token,
          (h) => {
            const key = typeof h.kid === 'string' ? this.#byId.get(h.kid) : undefined;
            // A retired or unknown key id reads as a forged link: nothing about the key is revealed.
            if (!key) throw new Error('unknown kid');
            return key;
          },
          { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] },
        );
        raw = JSON.parse(new TextDecoder().decode(plaintext));
      } catch {
        return refused;
      }
    } else if (LEGACY_TOKEN.test(token)) {
      raw = openLegacyToken(token, [this.#ring.current, ...this.#ring.previous]);
      if (raw === undefined) return refused;
    } else {
      return { ok: false, code: 'malformed', message: 'this is not a link token; copy the whole link from your email' };
    }
    const parsed = TokenClaims.safeParse(raw);
    if (!parsed.success) return refused;
    if (parsed.data.exp * 1000 < this.now())
      return {
        ok: false,
        code: 'expired',
        message: 'this link has expired; open the latest email or ask for a new link',
      };
    if (parsed.data.scope !== scope)
      return { ok: false, code: 'wrong_scope', message: `this is a ${parsed.data.scope} link, not a ${scope} link` };
    return { ok: true, claims: parsed.data };
  }
}
