import { join, resolve } from 'node:path';
import { startRedis, type RedisService } from './redis.js';
import { startTemporal, type TemporalService, type TemporalUi } from './temporal.js';
import type { SmtpSink } from '../smtp/sink.js';
import { startSmppSink, type SmppSink } from '../sms/smpp-server.js';
import type { Env } from '../config.js';
import { ServiceStartError } from './process.js';

/** The three services consentflow runs on, embedded where no external one is configured. */
export interface Stack {
  readonly redis: RedisService;
  readonly temporal: TemporalService;
  readonly smtpUrl: string;
  /** Present when the in-process sink is used (no SMTP_URL). */
  readonly sink?: SmtpSink;
  readonly smppUrl: string;
  /** Present when the embedded SMPP server is used (no SMPP_URL). */
  readonly smsc?: SmppSink;
  readonly timings: Record<string, number>;
  stop(): Promise<void>;
}

// The sink is a development convenience (production sends through SMTP_URL), so smtp-server is an optional peer
// dependency of the package, loaded only when the sink is needed.
async function loadSink(): Promise<typeof import('../smtp/sink.js')> {
  try {
    return await import('../smtp/sink.js');
  } catch (e) {
    if (
      (e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND' ||
      !String((e as Error).message).includes('smtp-server')
    )
      throw e;
    throw new ServiceStartError(
      'the local SMTP sink needs the smtp-server package: run `npm install --save-dev smtp-server@3`, or set SMTP_URL to your relay',
    );
  }
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
  // Checked before anything starts, so a missing sink package costs no Redis or Temporal start.
  const sinkModule = env.SMTP_URL ? undefined : await loadSink();
  try {
    const redis = await timed(timings, 'redis', () =>
      startRedis({ dataDir: join(dataDir, 'redis'), port: env.REDIS_PORT, externalUrl: env.REDIS_URL }),
    );
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
    const sink =
      sinkModule &&
      (await timed(timings, 'smtp', () =>
        sinkModule.startSmtpSink({ outbox: join(dataDir, 'outbox'), port: env.SMTP_PORT }),
      ));
    if (sink) started.push(sink);
    const smsc = env.SMPP_URL
      ? undefined
      : await timed(timings, 'smpp', () => startSmppSink({ outbox: join(dataDir, 'sms-outbox'), port: env.SMPP_PORT }));
    if (smsc) started.push(smsc);
    return {
      smppUrl: env.SMPP_URL ?? smsc!.url,
      smsc,
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
