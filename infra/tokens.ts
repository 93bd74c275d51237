import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SubjectRef } from '../domain/ids.js';

/** What a signed link lets its holder do. */
export const TokenScope = { unsubscribe: 'unsubscribe', why: 'why', preferences: 'preferences', confirm: 'confirm' } as const;
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
export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; code: 'malformed' | 'bad_signature' | 'expired' | 'wrong_scope'; message: string };

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Signs and verifies subject link tokens with HMAC-SHA256 under the configured token key. */
export class LinkTokens {
  constructor(
    private readonly key: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token valid for `ttlDays` (default 400: unsubscribe links must keep working well past 30 days, CAN-SPAM). */
  sign(claims: Omit<TokenClaims, 'v' | 'exp'>, ttlDays = 400): string {
    const body = b64(JSON.stringify({ v: 1, ...claims, exp: Math.floor(this.now() / 1000) + ttlDays * 86_400 }));
    return `${body}.${this.mac(body)}`;
  }

  /** Checks signature, expiry and scope; a forged, expired or re-targeted token is refused. */
  verify(token: string, scope: TokenScope): TokenCheck {
    const [body, sig, extra] = token.split('.');
    if (!body || !sig || extra !== undefined) return { ok: false, code: 'malformed', message: 'token must be two base64url parts joined by a dot' };
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, code: 'bad_signature', message: 'token signature does not match; use the link from your email' };
    let parsed: ReturnType<typeof TokenClaims.safeParse>;
    try {
      parsed = TokenClaims.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    } catch {
      return { ok: false, code: 'malformed', message: 'token body is not JSON' };
    }
    if (!parsed.success) return { ok: false, code: 'malformed', message: `token claims invalid: ${parsed.error.issues[0]?.message}` };
    if (parsed.data.exp * 1000 < this.now()) return { ok: false, code: 'expired', message: 'this link has expired; open the latest email or ask for a new link' };
    if (parsed.data.scope !== scope) return { ok: false, code: 'wrong_scope', message: `this is a ${parsed.data.scope} link, not a ${scope} link` };
    return { ok: true, claims: parsed.data };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(`cf-link-v1.${body}`).digest('base64url');
  }
}
