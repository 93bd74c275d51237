import { join, resolve } from 'node:path';
import { startRedis, type RedisService } from './redis.js';
import { startTemporal, type TemporalService, type TemporalUi } from './temporal.js';
import { startSmtpSink, type SmtpSink } from '../smtp/sink.js';
import type { Env } from '../config.js';

/** The three services consentflow runs on, embedded where no external one is configured. */
export interface Stack {
  readonly redis: RedisService;
  readonly temporal: TemporalService;
  readonly smtpUrl: string;
  /** Present when the in-process sink is used (no SMTP_URL). */
  readonly sink?: SmtpSink;
  readonly timings: Record<string, number>;
  stop(): Promise<void>;
}

async function timed<T>(timings: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const v = await fn();
  timings[name] = (Date.now() - t0) / 1000;
  return v;
}

/**
 * Obtains and starts Redis, Temporal and SMTP, or uses REDIS_URL / TEMPORAL_ADDRESS / SMTP_URL when set.
 * `persistent` keeps Temporal's state in the data dir so journeys survive a restart of `dev`.
 */
export async function startStack(env: Env, opts: { persistent: boolean; ui?: TemporalUi }): Promise<Stack> {
  const dataDir = resolve(env.CONSENTFLOW_DATA_DIR);
  const timings: Record<string, number> = {};
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    const redis = await timed(timings, 'redis', () => startRedis({ dataDir: join(dataDir, 'redis'), port: env.REDIS_PORT, externalUrl: env.REDIS_URL }));
    started.push(redis);
    const temporal: TemporalService = await timed(timings, 'temporal', () =>
      startTemporal({
        externalAddress: env.TEMPORAL_ADDRESS,
        namespace: env.TEMPORAL_NAMESPACE,
        port: env.TEMPORAL_PORT,
        dbFile: opts.persistent ? join(dataDir, 'temporal.db') : undefined,
        ui: opts.ui,
      }),
    );
    started.push(temporal);
    const sink = env.SMTP_URL ? undefined : await timed(timings, 'smtp', () => startSmtpSink({ outbox: join(dataDir, 'outbox'), port: env.SMTP_PORT }));
    if (sink) started.push(sink);
    return {
      redis,
      temporal,
      smtpUrl: env.SMTP_URL ?? sink!.url,
      sink,
      timings,
      stop: async () => {
        await Promise.all(started.reverse().map((s) => s.stop()));
      },
    };
  } catch (e) {
    await Promise.all(started.map((s) => s.stop()));
    throw e;
  }
}
