import type { Registry } from 'prom-client';
import { registerDsrGauges } from '../../infra/metrics/dsr-metrics.js';
import type { ApiApp, ApiDeps } from '../deps.js';

/** `GET /metrics`: the API process (complaints among it) and the subject-request register (open and overdue), Prometheus text format. */
export function metricsRoutes(app: ApiApp, deps: ApiDeps, registry: Registry): void {
  // No prom-client default (process) metrics: three of their names fail `promtool check metrics` (gauges named _total).
  registerDsrGauges(
    registry,
    () => deps.rights.requests.list(),
    () => deps.now?.() ?? new Date(),
  );
  // Counts only, no personal data; keep the port off the public internet all the same, like /readyz.
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}
