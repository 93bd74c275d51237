import { Gauge, type Registry } from 'prom-client';
import { isOverdue, type SubjectRequestRecord } from '../../domain/subject-request.js';

const OPEN: ReadonlySet<string> = new Set(['received', 'in_progress']);

/** Open and overdue data subject requests by type, read from the request register at each scrape. */
export function registerDsrGauges(
  registry: Registry,
  list: () => Promise<readonly SubjectRequestRecord[]>,
  now: () => Date = () => new Date(),
): void {
  const counts = async () => {
    const open = new Map<string, number>();
    const overdue = new Map<string, number>();
    for (const r of await list()) {
      if (!OPEN.has(r.status)) continue;
      open.set(r.type, (open.get(r.type) ?? 0) + 1);
      if (isOverdue(r, now())) overdue.set(r.type, (overdue.get(r.type) ?? 0) + 1);
    }
    return { open, overdue };
  };
  const types = ['access', 'correct', 'erase'];
  // One read of the register serves both gauges of a scrape.
  let pending: ReturnType<typeof counts> | undefined;
  const shared = () => (pending ??= counts().finally(() => setTimeout(() => (pending = undefined), 0)));
  new Gauge({
    name: 'consentflow_dsr_open',
    help: 'Data subject requests not yet completed or refused',
    labelNames: ['type'] as const,
    registers: [registry],
    async collect() {
      const { open } = await shared();
      for (const t of types) this.set({ type: t }, open.get(t) ?? 0);
    },
  });
  new Gauge({
    name: 'consentflow_dsr_overdue',
    help: 'Open data subject requests past their deadline',
    labelNames: ['type'] as const,
    registers: [registry],
    async collect() {
      const { overdue } = await shared();
      for (const t of types) this.set({ type: t }, overdue.get(t) ?? 0);
    },
  });
}
