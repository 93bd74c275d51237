import { Counter, type Registry } from 'prom-client';

/** The monitor's counter: campaign pauses it made, by campaign id (never a subject). */
export function createMonitorMetrics(registry: Registry) {
  return {
    pauses: new Counter({
      name: 'consentflow_monitor_pauses_total',
      help: 'Campaigns paused by the monitor because a threshold was crossed',
      labelNames: ['campaign'] as const,
      registers: [registry],
    }),
  };
}
