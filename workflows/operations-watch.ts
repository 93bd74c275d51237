import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

/** The deployment-wide watch: one per task queue, carried over continue-as-new. */
export interface OperationsWatchInput {
  readonly v: 1;
  readonly tickMs: number;
  /** How often subject-request deadlines are checked (a visibility scan), in ms. */
  readonly deadlinesEveryMs?: number;
  /** How long the log may refuse appends before it is an outage, in ms (30 s unless a test says otherwise). */
  readonly outageMs?: number;
  readonly logDownSince?: number | null;
  readonly lastDeadlineCheck?: number;
}

const { probeDecisionLog, checkSubjectRequestDeadlines, raiseOperationsAlert } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const TICKS_PER_RUN = 300;
const OUTAGE_MS = 30_000;

/**
 * Watches what no single campaign owns: a decision log that refuses appends for longer than the outage limit (no
 * send can happen then, and nobody sees it in a report), and subject requests near or past their deadline.
 */
export async function operationsWatch(input: OperationsWatchInput): Promise<void> {
  const outageMs = input.outageMs ?? OUTAGE_MS;
  const deadlinesEveryMs = input.deadlinesEveryMs ?? 5 * 60_000;
  let logDownSince = input.logDownSince ?? null;
  let lastDeadlineCheck = input.lastDeadlineCheck ?? 0;
  for (let tick = 0; tick < TICKS_PER_RUN; tick++) {
    const now = Date.now();
    const probe = await probeDecisionLog();
    if (probe.ok) logDownSince = null;
    else {
      logDownSince ??= now;
      if (now - logDownSince > outageMs) {
        const since = new Date(logDownSince).toISOString();
        await raiseOperationsAlert({
          v: 1,
          kind: 'log_outage',
          key: `log_outage:${logDownSince}`,
          text: `The decision log has refused appends since ${since} (${probe.reason ?? 'no reason given'}): no message is sent while it does. Check Redis (\`/readyz\` names the failing check).`,
          at: new Date(now).toISOString(),
          facts: { since, seconds: Math.round((now - logDownSince) / 1000) },
        });
      }
    }
    if (now - lastDeadlineCheck >= deadlinesEveryMs) {
      await checkSubjectRequestDeadlines({ now: new Date(now).toISOString() });
      lastDeadlineCheck = now;
    }
    await sleep(input.tickMs);
  }
  await continueAsNew<typeof operationsWatch>({ ...input, logDownSince, lastDeadlineCheck });
}
