import { Counter, type Registry } from 'prom-client';

/** Complaint counters; labels are the source and a reason code only, never a subject or a Message-ID. */
export function createComplaintMetrics(registry: Registry) {
  const registers = [registry];
  return {
    complaints: new Counter({
      name: 'consentflow_complaints_total',
      help: 'Complaints recorded (suppressed and logged), by source (arf, webhook)',
      labelNames: ['source'] as const,
      registers,
    }),
    ignored: new Counter({
      name: 'consentflow_complaint_reports_ignored_total',
      help: 'Complaint reports that recorded nothing: duplicate, unmatched, not_a_complaint or a malformed-report code',
      labelNames: ['source', 'reason'] as const,
      registers,
    }),
  };
}
export type ComplaintMetrics = ReturnType<typeof createComplaintMetrics>;

const byRegistry = new WeakMap<Registry, ComplaintMetrics>();

/** The complaint counters of a registry, created on first use: the sink and the API of one process may share one. */
export function complaintMetricsOf(registry: Registry): ComplaintMetrics {
  let m = byRegistry.get(registry);
  if (!m) byRegistry.set(registry, (m = createComplaintMetrics(registry)));
  return m;
}
