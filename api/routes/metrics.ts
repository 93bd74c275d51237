import { registerDsrGauges } from '../../infra/metrics/dsr-metrics.js';
import type { ProcessMetrics } from '../../infra/metrics/provider.js';
import type { ApiApp, ApiDeps } from '../deps.js';

/** `GET /metrics`: the API process (complaints among it) and the subject-request register (open and overdue), Prometheus text format. */
export function metricsRoutes(app: ApiApp, deps: ApiDeps, metrics: ProcessMetrics): void {
  registerDsrGauges(
    metrics.meter,
    () => deps.rights.requests.list(),
    () => deps.now?.() ?? new Date(),
  );
  // Counts only, no personal data; keep the port off the public internet all the same, like /readyz.
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(metrics.contentType).send(await metrics.scrape()),
  );
}
