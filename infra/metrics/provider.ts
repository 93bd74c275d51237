import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { sendMetricViews } from './send-metrics.js';

/** One process's OpenTelemetry metrics and their Prometheus text, created at a composition root and passed down. */
export interface ProcessMetrics {
  /** The meter every consentflow instrument of this process is created on. */
  readonly meter: Meter;
  readonly contentType: string;
  /** Collects every instrument (observable gauges read their source now) as Prometheus text; throws naming what failed. */
  scrape(): Promise<string>;
  shutdown(): Promise<void>;
}

/** A failed metrics collection: an observable callback threw (the request register unreadable, say). */
export class MetricsCollectionError extends Error {
  override readonly name = 'MetricsCollectionError';
}

/**
 * A MeterProvider with a pull-only Prometheus reader (no server of its own: the API and the worker serve the text on
 * their `/metrics` routes). Scope labels are left out so the exposed series carry exactly the labels the README lists.
 */
export function createProcessMetrics(service: string): ProcessMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  const provider = new MeterProvider({
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': service })),
    views: sendMetricViews,
    readers: [exporter],
  });
  return {
    meter: provider.getMeter('consentflow'),
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    async scrape() {
      const { resourceMetrics, errors } = await exporter.collect();
      // A partial scrape would read as a real drop to zero; a failed one shows as `up == 0` instead.
      if (errors.length)
        throw new MetricsCollectionError(errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; '));
      return serializer.serialize(resourceMetrics);
    },
    shutdown: () => provider.shutdown(),
  };
}
