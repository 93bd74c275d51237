import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

let installed = false;

/** The same message is printed at most once per this window; repeats are counted and reported with the next one. */
const REPEAT_WINDOW_MS = 60_000;

function errorText(meta: Record<string, unknown> | undefined): string {
  const e = meta?.error ?? meta?.failure;
  return e instanceof Error ? e.message : typeof e === 'string' ? e : '';
}

/** Repeats of one problem within the window, dropped and then reported with the next occurrence. */
type Emit = (entry: LogEntry, repeats: number) => void;

/**
 * One entry per distinct problem: an outage makes every activity attempt fail the same way, and a stack trace per
 * attempt would bury the one line that says what is wrong.
 */
function collapsing(emit: Emit, now: () => number): (entry: LogEntry) => void {
  const seen = new Map<string, { at: number; suppressed: number }>();
  return (entry) => {
    // Routine lines (workflow and activity starts at debug) each name their own workflow: none is a repeat.
    if (entry.level !== 'WARN' && entry.level !== 'ERROR') return emit(entry, 0);
    const key = `${entry.level}|${entry.message}|${errorText(entry.meta)}`;
    const last = seen.get(key);
    const t = now();
    if (last && t - last.at < REPEAT_WINDOW_MS) {
      last.suppressed++;
      return;
    }
    seen.set(key, { at: t, suppressed: 0 });
    emit(entry, last?.suppressed ?? 0);
  };
}

/** The collapsing sink as plain text lines (`[temporal] LEVEL message (where): error`). */
export function collapsingSink(
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  now: () => number = Date.now,
): (entry: LogEntry) => void {
  return collapsing((entry, repeats) => {
    const detail = errorText(entry.meta);
    const more = repeats ? ` (${repeats} more like this in the last minute)` : '';
    const where = entry.meta?.activityType ?? entry.meta?.workflowType;
    write(
      `[temporal] ${entry.level} ${entry.message}${where ? ` (${String(where)})` : ''}${detail ? `: ${detail}` : ''}${more}`,
    );
  }, now);
}

const PINO_LEVEL = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
} as const satisfies Record<LogLevel, string>;

/**
 * The collapsing sink into a pino logger: one JSON object per entry, its metadata (workflow and activity ids, which
 * carry subjectRefs, never addresses) as fields and its error under `err`, all through the logger's redaction.
 */
export function pinoSink(logger: Logger, now: () => number = Date.now): (entry: LogEntry) => void {
  return collapsing((entry, repeats) => {
    const { error, failure, ...meta } = entry.meta ?? {};
    const fields: Record<string, unknown> = { ...meta, source: 'temporal' };
    const err = error ?? failure;
    if (err !== undefined) fields.err = err;
    if (repeats) fields.repeats = repeats;
    logger[PINO_LEVEL[entry.level]](fields, entry.message);
  }, now);
}

/**
 * Installs the SDK runtime once per process with a quieter logger (the SDK's INFO chatter hides real problems) and,
 * given `metricsAddress` (host:port), the runtime's own Prometheus endpoint: task slots, poll and schedule latencies.
 * Given `logger` (pino), runtime, workflow and activity logs go there as JSON, through its redaction; otherwise
 * they are plain lines on stderr.
 */
export function installRuntime(
  level: LogLevel = 'WARN',
  opts: { metricsAddress?: string; logger?: Logger } = {},
): void {
  if (installed) return;
  installed = true;
  // Prometheus naming conventions (counters end in _total, durations in seconds), so promtool and dashboards agree.
  const prometheus = (bindAddress: string) => ({
    bindAddress,
    countersTotalSuffix: true,
    unitSuffix: true,
    useSecondsForDurations: true,
  });
  const telemetryOptions = opts.metricsAddress
    ? { metrics: { prometheus: prometheus(opts.metricsAddress) } }
    : undefined;
  const sink = opts.logger ? pinoSink(opts.logger) : collapsingSink();
  Runtime.install({ logger: new DefaultLogger(level, sink), ...(telemetryOptions ? { telemetryOptions } : {}) });
}
