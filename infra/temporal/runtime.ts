import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

let installed = false;

/** The same message is printed at most once per this window; repeats are counted and reported with the next one. */
const REPEAT_WINDOW_MS = 60_000;

function errorText(meta: Record<string, unknown> | undefined): string {
  const e = meta?.error ?? meta?.failure;
  return e instanceof Error ? e.message : typeof e === 'string' ? e : '';
}

/**
 * One line per distinct problem: an outage makes every activity attempt fail the same way, and a stack trace per
 * attempt would bury the one line that says what is wrong.
 */
export function collapsingSink(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`), now: () => number = Date.now): (entry: LogEntry) => void {
  const seen = new Map<string, { at: number; suppressed: number }>();
  return (entry) => {
    const detail = errorText(entry.meta);
    const key = `${entry.level}|${entry.message}|${detail}`;
    const last = seen.get(key);
    const t = now();
    if (last && t - last.at < REPEAT_WINDOW_MS) {
      last.suppressed++;
      return;
    }
    const more = last?.suppressed ? ` (${last.suppressed} more like this in the last minute)` : '';
    seen.set(key, { at: t, suppressed: 0 });
    const where = entry.meta?.activityType ?? entry.meta?.workflowType;
    write(`[temporal] ${entry.level} ${entry.message}${where ? ` (${String(where)})` : ''}${detail ? `: ${detail}` : ''}${more}`);
  };
}

/**
 * Installs the SDK runtime once per process with a quieter logger (the SDK's INFO chatter hides real problems) and,
 * given `metricsAddress` (host:port), the runtime's own Prometheus endpoint: task slots, poll and schedule latencies.
 */
export function installRuntime(level: LogLevel = 'WARN', opts: { metricsAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  // Prometheus naming conventions (counters end in _total, durations in seconds), so promtool and dashboards agree.
  const prometheus = (bindAddress: string) => ({ bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true });
  const telemetryOptions = opts.metricsAddress ? { metrics: { prometheus: prometheus(opts.metricsAddress) } } : undefined;
  Runtime.install({ logger: new DefaultLogger(level, collapsingSink()), ...(telemetryOptions ? { telemetryOptions } : {}) });
}
