import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { AggregationType, type ViewOptions } from '@opentelemetry/sdk-metrics';
import type { SendPipelineDeps } from '../../activities/send-pipeline.js';
import type { SendOutcome } from '../../activities/send-outcome.js';

// Seconds; the guard's Redis round trip and a log append sit in the low milliseconds, SMTP in the tens to hundreds.
const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const SMTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const GUARD = 'consentflow_guard_state_load_seconds';
const LOG_APPEND = 'consentflow_log_append_seconds';
const SMTP = 'consentflow_smtp_send_seconds';

const explicit = (instrumentName: string, boundaries: number[]): ViewOptions => ({
  instrumentName,
  aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries, recordMinMax: false } },
});

/** The send path's histogram buckets: OpenTelemetry's defaults (0 to 10 000) suit milliseconds, not seconds. */
export const sendMetricViews: ViewOptions[] = [
  explicit(GUARD, FAST_BUCKETS),
  explicit(LOG_APPEND, FAST_BUCKETS),
  explicit(SMTP, SMTP_BUCKETS),
];

/**
 * The worker's send metrics. Labels are campaign ids, channels, outcomes, reason codes and SMTP codes only: never a
 * subject, address or message id, which would be personal data and unbounded cardinality. Counters are named
 * without `_total`, which the Prometheus exporter appends (`consentflow_sends` is scraped as `consentflow_sends_total`).
 */
export function createSendMetrics(meter: Meter) {
  return {
    sends: meter.createCounter('consentflow_sends', {
      description: 'Send-step outcomes per member (sent, denied, failed, deferred, …)',
    }) as Counter<{ outcome: string; channel: string; campaign: string }>,
    denies: meter.createCounter('consentflow_deny_reasons', {
      description: 'Reason codes of denied sends (one member may carry several)',
    }) as Counter<{ reason: string }>,
    guard: meter.createHistogram(GUARD, {
      description: 'Guard state load (consent, suppression, erasure: one Redis round trip) per batch',
      unit: 's',
    }),
    logAppend: meter.createHistogram(LOG_APPEND, {
      description: 'Decision-log batch append latency',
      unit: 's',
    }) as Histogram<{ result: 'ok' | 'error' }>,
    smtp: meter.createHistogram(SMTP, { description: 'SMTP transaction latency per message', unit: 's' }),
    smtpReplies: meter.createCounter('consentflow_smtp_replies', {
      description: 'SMTP reply codes to DATA (0: no reply, connection failed)',
    }) as Counter<{ code: string }>,
  };
}
export type SendMetrics = ReturnType<typeof createSendMetrics>;

/** Counts a batch's outcomes, and the reasons of its denials. */
export function countOutcomes(
  m: SendMetrics,
  spec: { campaignId: string; channel: string },
  outcomes: readonly SendOutcome[],
): void {
  for (const o of outcomes) {
    m.sends.add(1, { outcome: o.status, channel: spec.channel, campaign: spec.campaignId });
    if (o.status === 'denied') for (const reason of o.reasons) m.denies.add(1, { reason });
  }
}

const seconds = (start: number) => (performance.now() - start) / 1000;

async function timed<T, A extends Attributes>(
  h: Histogram<A>,
  f: () => Promise<T>,
  labels?: (ok: boolean) => A,
): Promise<T> {
  const start = performance.now();
  try {
    const v = await f();
    h.record(seconds(start), labels?.(true));
    return v;
  } catch (e) {
    h.record(seconds(start), labels?.(false));
    throw e;
  }
}

type Instrumented = Pick<
  SendPipelineDeps,
  'loadGuardStates' | 'loadGuardStatesWith' | 'appendLog' | 'mailer' | 'onOutcomes'
>;

/** Wraps the send path's ports with timers and counters; the send path itself only reports its outcomes. */
export function instrumentSendPorts<D extends Instrumented>(deps: D, m: SendMetrics): D {
  const mailer = deps.mailer;
  return {
    ...deps,
    loadGuardStates: (refs) => timed(m.guard, () => deps.loadGuardStates(refs)),
    loadGuardStatesWith: (refs, extraKey, cap) => timed(m.guard, () => deps.loadGuardStatesWith(refs, extraKey, cap)),
    appendLog: (entries, opts) =>
      timed(
        m.logAppend,
        () => deps.appendLog(entries, opts),
        (ok) => ({ result: ok ? 'ok' : 'error' }),
      ),
    mailer: {
      close: () => mailer.close(),
      send: async (msg) => {
        const start = performance.now();
        try {
          const r = await mailer.send(msg);
          m.smtpReplies.add(1, { code: String(r.code) });
          return r;
        } catch (e) {
          const code = (e as { responseCode?: number }).responseCode;
          m.smtpReplies.add(1, { code: String(code ?? 0) });
          throw e;
        } finally {
          m.smtp.record(seconds(start));
        }
      },
    },
    onOutcomes: (spec, outcomes) => {
      countOutcomes(m, spec, outcomes);
      deps.onOutcomes?.(spec, outcomes);
    },
  };
}
