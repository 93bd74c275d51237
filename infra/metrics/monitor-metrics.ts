import type { Counter, Meter } from '@opentelemetry/api';

/** The monitor's counter: campaign pauses it made, by campaign id (never a subject); scraped as `consentflow_monitor_pauses_total`. */
export function createMonitorMetrics(meter: Meter) {
  return {
    pauses: meter.createCounter('consentflow_monitor_pauses', {
      description: 'Campaigns paused by the monitor because a threshold was crossed',
    }) as Counter<{ campaign: string }>,
  };
}
