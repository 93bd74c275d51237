import { z } from 'zod';
import { checkReadiness, readinessChecks } from '../../infra/health.js';
import type { ApiApp, ApiDeps } from '../deps.js';

const Check = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
const ReadyView = z.object({
  ready: z.boolean(),
  checks: z.object({ redis: Check, temporal: Check, decisionLog: Check }),
});

/** `/healthz` (liveness: the process serves HTTP) and `/readyz` (Redis, Temporal and a decision-log append probe under this process's log key). */
export function healthRoutes(app: ApiApp, deps: ApiDeps): void {
  // Liveness checks nothing else on purpose: a Redis outage must not get the API restarted in a loop.
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  const checks =
    deps.readiness ??
    readinessChecks({ redis: deps.services.log.opts.redis, temporal: () => deps.temporal, log: deps.services.log });
  app.get('/readyz', { schema: { hide: true, response: { 200: ReadyView, 503: ReadyView } } }, async (_req, reply) => {
    const r = await checkReadiness(checks);
    return reply.code(r.ready ? 200 : 503).send(r);
  });
}
