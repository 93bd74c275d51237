import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/** What an API key may do; a reviewer reads logs and reports, never profiles or consent. */
export const ApiRole = { marketer: 'marketer', reviewer: 'reviewer', admin: 'admin' } as const;
export type ApiRole = (typeof ApiRole)[keyof typeof ApiRole];

/** One configured key, as given in `CONSENTFLOW_API_KEYS` or the dev keys file. */
export interface ApiKeySpec {
  readonly name: string;
  readonly role: ApiRole;
  readonly secret: string;
}

/** The caller a request was authenticated as. */
export interface ApiCaller {
  readonly name: string;
  readonly role: ApiRole;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: ApiCaller;
  }
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Parses `name:role:secret,...` (the config schema has checked the shape). */
export function parseApiKeys(value: string | undefined): ApiKeySpec[] {
  return (value ?? '')
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const [name, role, ...rest] = part.split(':');
      return { name: name!, role: role as ApiRole, secret: rest.join(':') };
    });
}

/** API keys held as SHA-256 digests only; a presented key is compared against every one in constant time. */
export class ApiKeyring {
  readonly #keys: readonly { name: string; role: ApiRole; hash: Buffer }[];

  constructor(specs: readonly ApiKeySpec[]) {
    this.#keys = specs.map((s) => ({ name: s.name, role: s.role, hash: digest(s.secret) }));
  }

  /** The caller for a presented secret, or undefined. */
  identify(secret: string): ApiCaller | undefined {
    const h = digest(secret);
    let found: ApiCaller | undefined;
    // No early exit: the time taken does not reveal which key, if any, matched.
    for (const k of this.#keys) if (timingSafeEqual(k.hash, h)) found = { name: k.name, role: k.role };
    return found;
  }

  /** A preHandler admitting only the given roles; 401 without a valid key, 403 with the wrong role. */
  require(...roles: ApiRole[]) {
    return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      const header = req.headers.authorization ?? '';
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw new ApiError(401, 'unauthenticated', 'send an API key as "Authorization: Bearer <key>"');
      const caller = this.identify(m[1]!);
      if (!caller) throw new ApiError(401, 'unauthenticated', 'the API key is not valid');
      if (!roles.includes(caller.role))
        throw new ApiError(
          403,
          'forbidden',
          `role ${caller.role} may not use this endpoint; it needs ${roles.join(' or ')}`,
        );
      req.caller = caller;
    };
  }
}
