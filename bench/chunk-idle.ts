// How much of a broadcast's paging wall time had no chunk activity scheduled or running, read from the workflow's
// recorded histories (every execution of the continue-as-new chain). Counts event times; not a timed test.
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;

/** An event's time in ms since the epoch. */
export const eventMs = (e: Event): number =>
  Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);

/** Every execution's history of `workflowId`, newest last, following the continue-as-new links back from the latest. */
export async function historyChain(client: Client, workflowId: string): Promise<Event[][]> {
  const histories: Event[][] = [];
  let runId: string | undefined;
  for (;;) {
    const h = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = h.events ?? [];
    histories.unshift(events);
    const prev = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!prev) return histories;
    runId = prev;
  }
}

/** Chunk activities' [scheduled, closed] intervals and the fraction of the span from the first to the last they leave uncovered. */
export async function chunkIdle(
  client: Client,
  workflowId: string,
  activityType = 'sendBroadcastChunk',
): Promise<{
  chunks: number;
  span_s: number;
  idle_fraction: number;
  max_in_flight: number;
  /** Chunks that needed more than one attempt, and the failure that ended the attempt before the last, by kind. */
  retried: number;
  retry_causes: Record<string, number>;
}> {
  const intervals: Array<[number, number]> = [];
  let retried = 0;
  const causes: Record<string, number> = {};
  for (const events of await historyChain(client, workflowId)) {
    const scheduled = new Map<string, number>();
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s && s.activityType?.name === activityType) scheduled.set(String(e.eventId), eventMs(e));
      // A started event is recorded for the last attempt only, with the attempt number and what ended the one before.
      const started = e.activityTaskStartedEventAttributes;
      if (started && scheduled.has(String(started.scheduledEventId)) && (started.attempt ?? 1) > 1) {
        retried += 1;
        const f = started.lastFailure;
        const kind = f?.timeoutFailureInfo
          ? `timeout_${String(f.timeoutFailureInfo.timeoutType)}`
          : `${f?.applicationFailureInfo?.type ?? 'other'}: ${(f?.message ?? '').slice(0, 120)}`;
        causes[kind] = (causes[kind] ?? 0) + 1;
      }
      const closed =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes;
      const at = closed ? scheduled.get(String(closed.scheduledEventId)) : undefined;
      if (at !== undefined) intervals.push([at, eventMs(e)]);
    }
  }
  if (intervals.length === 0)
    return { chunks: 0, span_s: 0, idle_fraction: 0, max_in_flight: 0, retried, retry_causes: causes };
  intervals.sort((a, b) => a[0] - b[0]);
  const start = intervals[0]![0];
  let end = start;
  let covered = 0;
  let maxInFlight = 0;
  const open: number[] = [];
  for (const [s, e] of intervals) {
    const from = Math.max(s, end);
    if (e > from) covered += e - from;
    end = Math.max(end, e);
    for (let i = open.length - 1; i >= 0; i--) if (open[i]! <= s) open.splice(i, 1);
    open.push(e);
    maxInFlight = Math.max(maxInFlight, open.length);
  }
  const span = end - start;
  return {
    chunks: intervals.length,
    span_s: Number((span / 1000).toFixed(1)),
    idle_fraction: span > 0 ? Number((1 - covered / span).toFixed(3)) : 0,
    max_in_flight: maxInFlight,
    retried,
    retry_causes: causes,
  };
}
