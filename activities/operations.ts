import type { AlertInput } from '../domain/alert.js';

/** An open subject request and the deadline it recorded at intake. */
export interface OpenSubjectRequest {
  readonly requestId: string;
  readonly deadlineMs: number;
}

/** What the deployment-wide watch needs; the worker wires the log probe, Temporal visibility and the alert raiser. */
export interface OperationsActivityDeps {
  /** Resolves when a decision-log append could land now; rejects naming what refuses. */
  readonly probeLog: () => Promise<void>;
  readonly openSubjectRequests: () => Promise<readonly OpenSubjectRequest[]>;
  readonly raiseAlert: (a: AlertInput) => Promise<'raised' | 'duplicate'>;
}

const DAY_MS = 86_400_000;
// A request this close to its deadline still has time to be answered, if someone is told now.
const DUE_SOON_MS = 2 * DAY_MS;
const PROBE_TIMEOUT_MS = 5_000;

/** The activities of the operations watch: probe the log, check request deadlines, raise an alert. */
export function createOperationsActivities(deps: OperationsActivityDeps) {
  return {
    /** Whether the decision log accepts appends now; a probe that hangs counts as refused. */
    async probeDecisionLog(): Promise<{ ok: boolean; reason?: string }> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(
            () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`)),
            PROBE_TIMEOUT_MS,
          )),
      );
      try {
        await Promise.race([deps.probeLog(), timeout]);
        return { ok: true };
      } catch (e) {
        return { ok: false, reason: (e as Error).message.slice(0, 200) };
      } finally {
        clearTimeout(timer);
      }
    },
    /** Alerts once per request when it comes within two days of its deadline, and once more when it is overdue. */
    async checkSubjectRequestDeadlines(input: { now: string }): Promise<{ dueSoon: number; overdue: number }> {
      const now = Date.parse(input.now);
      let dueSoon = 0;
      let overdue = 0;
      for (const r of await deps.openSubjectRequests()) {
        const left = r.deadlineMs - now;
        if (left > DUE_SOON_MS) continue;
        const state = left < 0 ? 'overdue' : 'due_soon';
        if (state === 'overdue') overdue++;
        else dueSoon++;
        const deadline = new Date(r.deadlineMs).toISOString();
        await deps.raiseAlert({
          v: 1,
          kind: 'dsr_deadline',
          key: `dsr_deadline:${r.requestId}:${state}`.replace(/[^A-Za-z0-9:._-]/g, '_'),
          text:
            state === 'overdue'
              ? `Subject request ${r.requestId} is overdue: its deadline was ${deadline}. Answer it now (\`consentflow dsar status ${r.requestId}\`).`
              : `Subject request ${r.requestId} is due by ${deadline}, within two days. Answer it (\`consentflow dsar status ${r.requestId}\`).`,
          at: new Date(now).toISOString(),
          facts: { request: r.requestId, deadline, state },
        });
      }
      return { dueSoon, overdue };
    },
    /** Raises an alert the watch decided on (a log outage); de-duplicated by its key. */
    async raiseOperationsAlert(a: AlertInput): Promise<'raised' | 'duplicate'> {
      return deps.raiseAlert(a);
    },
  };
}
