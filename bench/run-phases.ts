// Where a broadcast run's wall time went, read from its recorded histories: the audience snapshot, the pages, the
// closing sweep and deferred retries, and the finish, each from its first activity scheduled to its last closed.
// Counts event times; not a timed test.
import type { Client } from '@temporalio/client';
import { eventMs, historyChain } from './chunk-idle.js';

const PHASES: Readonly<Record<string, string>> = {
  snapshotAudience: 'snapshot',
  planBroadcastChunks: 'pages',
  sendBroadcastChunk: 'pages',
  sweepRun: 'sweep',
  retryDeferred: 'sweep',
  finishRun: 'finish',
};

/** Seconds per phase, and the whole run from its first event to its last. */
export async function runPhases(client: Client, workflowId: string): Promise<Record<string, number>> {
  const spans = new Map<string, [number, number]>();
  let first = Infinity;
  let last = -Infinity;
  for (const events of await historyChain(client, workflowId)) {
    const scheduled = new Map<string, { phase: string; at: number }>();
    for (const e of events) {
      const at = eventMs(e);
      first = Math.min(first, at);
      last = Math.max(last, at);
      const s = e.activityTaskScheduledEventAttributes;
      const phase = s ? PHASES[s.activityType?.name ?? ''] : undefined;
      if (phase) scheduled.set(String(e.eventId), { phase, at });
      const closed =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes;
      const open = closed ? scheduled.get(String(closed.scheduledEventId)) : undefined;
      if (!open) continue;
      const span = spans.get(open.phase);
      spans.set(open.phase, span ? [Math.min(span[0], open.at), Math.max(span[1], at)] : [open.at, at]);
    }
  }
  const s = (ms: number) => Number((ms / 1000).toFixed(2));
  const out: Record<string, number> = {};
  for (const name of ['snapshot', 'pages', 'sweep', 'finish']) {
    const span = spans.get(name);
    out[`${name}_s`] = span ? s(span[1] - span[0]) : 0;
  }
  out.run_s = Number.isFinite(first) ? s(last - first) : 0;
  return out;
}
