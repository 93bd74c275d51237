import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { DecisionLog } from './redis/decision-log.js';

/** The dependencies a ready process needs; each check throws when its dependency cannot serve. */
export interface ReadinessChecks {
  readonly redis: () => Promise<unknown>;
  readonly temporal: () => Promise<unknown>;
  readonly decisionLog: () => Promise<unknown>;
}

/** One check's result: no error text beyond the dependency's own message (it never holds personal data). */
export type CheckResult =
  { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly ms: number; readonly error: string };

/** The readiness answer: ready only when every check passed. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<keyof ReadinessChecks, CheckResult>>;
}

const TEMPORAL_DEADLINE_MS = 1_500;

/** The real checks: Redis answers PING, Temporal answers GetSystemInfo, the decision log accepts writes. */
export function readinessChecks(io: { redis: Redis; temporal: () => Client; log: DecisionLog }): ReadinessChecks {
  return {
    redis: () => io.redis.ping(),
    // A gRPC deadline of its own, so the call ends itself instead of lingering on a dead channel.
    temporal: () => {
      const c = io.temporal();
      return c.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => c.workflowService.getSystemInfo({}));
    },
    decisionLog: () => io.log.probeAppend(),
  };
}

async function timed(check: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  // An offline ioredis client or a dead gRPC channel may hang rather than fail; a probe must answer in time.
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)),
  );
  try {
    // A check may throw before returning its promise; that is a failed check too.
    const running = Promise.resolve().then(check);
    // A check that loses the race may still fail later; that must not surface as an unhandled rejection.
    running.catch(() => undefined);
    await Promise.race([running, timeout]);
    return { ok: true, ms: Date.now() - start };
  } catch (e) {
    return { ok: false, ms: Date.now() - start, error: (e as Error).message.slice(0, 300) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check in parallel, each bounded by `timeoutMs`. */
export async function checkReadiness(checks: ReadinessChecks, timeoutMs = 2_000): Promise<Readiness> {
  const names = Object.keys(checks) as (keyof ReadinessChecks)[];
  const results = await Promise.all(names.map((n) => timed(checks[n], timeoutMs)));
  const byName = Object.fromEntries(names.map((n, i) => [n, results[i]!])) as Record<
    keyof ReadinessChecks,
    CheckResult
  >;
  return { ready: results.every((r) => r.ok), checks: byName };
}
