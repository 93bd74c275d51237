import type { Counter, Meter } from '@opentelemetry/api';

/**
 * Complaint counters; labels are the source and a reason code only, never a subject or a Message-ID. Scraped as
 * `consentflow_complaints_total` and `consentflow_complaint_reports_ignored_total` (the exporter adds `_total`).
 */
export function createComplaintMetrics(meter: Meter) {
  return {
    complaints: meter.createCounter('consentflow_complaints', {
      description: 'Complaints recorded (suppressed and logged), by source (arf, webhook)',
    }) as Counter<{ source: string }>,
    ignored: meter.createCounter('consentflow_complaint_reports_ignored', {
      description:
        'Complaint reports that recorded nothing: duplicate, unmatched, not_a_complaint or a malformed-report code',
    }) as Counter<{ source: string; reason: string }>,
  };
}
export type ComplaintMetrics = ReturnType<typeof createComplaintMetrics>;

const byMeter = new WeakMap<Meter, ComplaintMetrics>();

/** The complaint counters of a meter, created on first use: the sink and the API of one process may share one. */
export function complaintMetricsOf(meter: Meter): ComplaintMetrics {
  let m = byMeter.get(meter);
  if (!m) byMeter.set(meter, (m = createComplaintMetrics(meter)));
  return m;
}
