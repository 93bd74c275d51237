import { createHmac } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest, RouteOptions } from 'fastify';
import type { ApiApp, ApiDeps } from './deps.js';
import { ApiError } from './errors.js';

/** Which limit a route counts against; `oneClick` is the RFC 8058 POST, limited only when its token is bad. */
export const RateBucket = {
  subject: 'subject',
  consent: 'consent',
  api: 'api',
  oneClick: 'oneClick',
  none: 'none',
} as const;
export type RateBucket = (typeof RateBucket)[keyof typeof RateBucket];

/** The bucket of a route, from its method and URL pattern. */
export function bucketOf(method: string, url: string): RateBucket {
  // Probes and scrapes are never limited: their counters live in Redis, and /readyz must answer while Redis is down.
  if (url === '/healthz' || url === '/readyz' || url === '/metrics') return 'none';
  if (url === '/u/:token') return method === 'POST' ? 'oneClick' : 'subject';
  if (url === '/confirm/:token') return method === 'POST' ? 'consent' : 'subject';
  if (url === '/preferences/:token' || url === '/why/:token' || url === '/notices/:version') return 'subject';
  if (url === '/v1/consents') return 'consent';
  return 'api';
}

/**
 * Registers `@fastify/rate-limit` with counters in Redis (shared by every API instance) and gives each route its
 * bucket's limit. Must be called before the routes are added: the limits attach as routes register.
 */
export async function registerRateLimits(app: ApiApp, deps: ApiDeps): Promise<void> {
  const limits = deps.config.rateLimits;
  // Counters are keyed by an HMAC of the IP, so Redis never holds client addresses.
  const ipKey = (req: FastifyRequest): string =>
    `ip:${createHmac('sha256', deps.config.secrets.pseudonymKey).update(req.ip).digest('base64url').slice(0, 22)}`;
  // A valid API key is its own client (services behind one NAT do not share a limit); anything else counts by IP.
  const callerKey = (req: FastifyRequest): string => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const caller = m ? deps.keyring.identify(m[1]!) : undefined;
    return caller ? `key:${caller.name}` : ipKey(req);
  };
  const oneClickAllowed = async (req: FastifyRequest): Promise<boolean> => {
    const token = (req.params as { token?: unknown }).token;
    // RFC 8058: a mailbox provider's unsubscribe must never be lost, so a genuine link is never limited.
    return typeof token === 'string' && (await deps.services.tokens.verify(token, 'unsubscribe')).ok;
  };
  app.addHook('onRoute', (route: RouteOptions) => {
    const bucket = bucketOf(String(route.method), route.url);
    if (bucket === 'none' || route.config?.rateLimit !== undefined) return;
    const max = bucket === 'api' ? limits.api : bucket === 'consent' ? limits.consent : limits.subject;
    const keyGenerator = bucket === 'api' || (bucket === 'consent' && route.url.startsWith('/v1/')) ? callerKey : ipKey;
    route.config = {
      ...route.config,
      rateLimit: {
        max,
        timeWindow: 60_000,
        keyGenerator,
        ...(bucket === 'oneClick' ? { allowList: oneClickAllowed } : {}),
      },
    };
  });
  await app.register(rateLimit, {
    global: false,
    redis: deps.services.log.opts.redis,
    nameSpace: `${deps.config.redisKeyPrefix}rate:`,
    // Fail closed: without the counter store the limit cannot be enforced, so the request is refused (5xx).
    skipOnError: false,
    errorResponseBuilder: (_req, ctx) =>
      new ApiError(
        429,
        'rate_limited',
        `too many requests from this client (limit ${ctx.max} per minute); retry after ${ctx.after}`,
      ),
  });
}
