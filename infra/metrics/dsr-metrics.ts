import type { Meter } from '@opentelemetry/api';
import { isOverdue, type SubjectRequestRecord } from '../../domain/subject-request.js';

const OPEN: ReadonlySet<string> = new Set(['received', 'in_progress']);
const TYPES = ['access', 'correct', 'erase'] as const;

/** Open and overdue data subject requests by type, read from the request register once per scrape. */
export function registerDsrGauges(
  meter: Meter,
  list: () => Promise<readonly SubjectRequestRecord[]>,
  now: () => Date = () => new Date(),
): void {
  const open = meter.createObservableGauge('consentflow_dsr_open', {
    description: 'Data subject requests not yet completed or refused',
  });
  const overdue = meter.createObservableGauge('consentflow_dsr_overdue', {
    description: 'Open data subject requests past their deadline',
  });
  // One batch callback: both gauges come from the same read of the register.
  meter.addBatchObservableCallback(
    async (observer) => {
      const counts = new Map<string, { open: number; overdue: number }>(TYPES.map((t) => [t, { open: 0, overdue: 0 }]));
      const at = now();
      for (const r of await list()) {
        const c = counts.get(r.type);
        if (!c || !OPEN.has(r.status)) continue;
        c.open++;
        if (isOverdue(r, at)) c.overdue++;
      }
      for (const [type, c] of counts) {
        observer.observe(open, c.open, { type });
        observer.observe(overdue, c.overdue, { type });
      }
    },
    [open, overdue],
  );
}
