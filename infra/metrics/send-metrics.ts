import { Counter, Histogram, type Registry } from 'prom-client';
import type { SendPipelineDeps } from '../../activities/send-pipeline.js';
import type { SendOutcome } from '../../activities/send-outcome.js';

// Seconds; the guard's Redis round trip and a log append sit in the low milliseconds, SMTP in the tens to hundreds.
const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const SMTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The worker's send metrics. Labels are campaign ids, channels, outcomes, reason codes and SMTP codes only: never a
 * subject, address or message id, which would be personal data and unbounded cardinality.
 */
export function createSendMetrics(registry: Registry) {
  const registers = [registry];
  return {
    sends: new Counter({
      name: 'consentflow_sends_total',
      help: 'Send-step outcomes per member (sent, denied, failed, deferred, …)',
      labelNames: ['outcome', 'channel', 'campaign'] as const,
      registers,
    }),
    denies: new Counter({
      name: 'consentflow_deny_reasons_total',
      help: 'Reason codes of denied sends (one member may carry several)',
      labelNames: ['reason'] as const,
      registers,
    }),
    guard: new Histogram({
      name: 'consentflow_guard_state_load_seconds',
      help: 'Guard state load (consent, suppression, erasure: one Redis round trip) per batch',
      buckets: FAST_BUCKETS,
      registers,
    }),
    logAppend: new Histogram({
      name: 'consentflow_log_append_seconds',
      help: 'Decision-log batch append latency',
      buckets: FAST_BUCKETS,
      labelNames: ['result'] as const,
      registers,
    }),
    smtp: new Histogram({
      name: 'consentflow_smtp_send_seconds',
      help: 'SMTP transaction latency per message',
      buckets: SMTP_BUCKETS,
      registers,
    }),
    smtpReplies: new Counter({
      name: 'consentflow_smtp_replies_total',
      help: 'SMTP reply codes to DATA (0: no reply, connection failed)',
      labelNames: ['code'] as const,
      registers,
    }),
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
    m.sends.inc({ outcome: o.status, channel: spec.channel, campaign: spec.campaignId });
    if (o.status === 'denied') for (const reason of o.reasons) m.denies.inc({ reason });
  }
}

async function timed<T>(
  h: Histogram<string>,
  f: () => Promise<T>,
  labels?: (ok: boolean) => Record<string, string>,
): Promise<T> {
  const end = h.startTimer();
  try {
    const v = await f();
    end(labels?.(true));
    return v;
  } catch (e) {
    end(labels?.(false));
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
        const end = m.smtp.startTimer();
        try {
          const r = await mailer.send(msg);
          m.smtpReplies.inc({ code: String(r.code) });
          return r;
        } catch (e) {
          const code = (e as { responseCode?: number }).responseCode;
          m.smtpReplies.inc({ code: String(code ?? 0) });
          throw e;
        } finally {
          end();
        }
      },
    },
    onOutcomes: (spec, outcomes) => {
      countOutcomes(m, spec, outcomes);
      deps.onOutcomes?.(spec, outcomes);
    },
  };
}
