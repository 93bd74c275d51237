import type { Redis } from 'ioredis';
import { replayDecision, type ReplayResult, type SubjectHistory } from '../domain/decision-replay.js';
import type { LogEntry } from '../domain/decision-log.js';
import type { SubjectRef } from '../domain/ids.js';
import type { CompiledPolicy } from '../domain/policy.js';
import { ulidTime } from '../domain/review-checks.js';
import { loadPolicy } from './policy-loader.js';
import type { BundleStore } from './redis/bundle-store.js';
import type { ConsentStore } from './redis/consent-store.js';
import type { DecisionLog } from './redis/decision-log.js';
import { ErasureMarker } from './redis/erasure-marker.js';
import type { RedisKeys } from './redis/keys.js';

/** What a replay reads: the log, the consent store with its commit times, and the policy snapshots. */
export interface ReplayDeps {
  readonly log: Pick<DecisionLog, 'query'>;
  readonly consent: Pick<ConsentStore, 'eventsWithTimes' | 'suppressions'>;
  readonly bundles: Pick<BundleStore, 'policy'>;
  readonly redis: Redis;
  readonly keys: RedisKeys;
}

/** One logged decision, or every decision in a period (either bound may be open). */
export type ReplaySelection = { readonly entryId: string } | { readonly since?: Date; readonly until?: Date };

/** The outcome of a replay: counts, and every entry that did not match or could not be replayed. */
export interface ReplayReport {
  readonly replayed: number;
  readonly matched: number;
  readonly mismatched: number;
  readonly notReplayable: number;
  readonly findings: readonly ReplayResult[];
}

// A decision's ULID carries its append time, never earlier than its `at`: search a little before it.
const ID_LOOKBACK_MS = 10 * 60_000;

async function* selected(deps: ReplayDeps, sel: ReplaySelection): AsyncGenerator<LogEntry> {
  if ('entryId' in sel) {
    const t = ulidTime(sel.entryId);
    if (t === null) return;
    for await (const e of deps.log.query({
      kind: 'decision',
      since: new Date(t - ID_LOOKBACK_MS),
      until: new Date(t + 1),
    }))
      if (e.id === sel.entryId) yield e;
    return;
  }
  yield* deps.log.query({ kind: 'decision', since: sel.since, until: sel.until });
}

async function historyOf(deps: ReplayDeps, ref: SubjectRef): Promise<SubjectHistory> {
  const [events, suppressions, erased, flag] = await Promise.all([
    deps.consent.eventsWithTimes(ref),
    deps.consent.suppressions(ref),
    deps.redis.get(deps.keys.erased(ref)),
    deps.redis.hget(deps.keys.flags(ref), 'personalisation'),
  ]);
  const marker = ErasureMarker.fromRaw(erased);
  return {
    events,
    suppressions,
    erasedAtMs: marker ? Date.parse(marker.at) : null,
    personalisation: flag === 'off' ? 'off' : 'on',
  };
}

/**
 * Re-decides the selected decisions, each with the policy snapshot it recorded and the subject's state as it stood
 * then. `null` when a single entry id names no decision. Histories and policies are read once per subject / version.
 */
export async function replayDecisions(deps: ReplayDeps, sel: ReplaySelection): Promise<ReplayReport | null> {
  const policies = new Map<string, Promise<CompiledPolicy | null>>();
  const histories = new Map<string, Promise<SubjectHistory>>();
  const policyOf = (v: string) => {
    let p = policies.get(v);
    if (p === undefined)
      policies.set(v, (p = deps.bundles.policy(v).then((b) => (b === null ? null : loadPolicy(b).policy))));
    return p;
  };
  const counts = { replayed: 0, matched: 0, mismatched: 0, notReplayable: 0 };
  const findings: ReplayResult[] = [];
  for await (const e of selected(deps, sel)) {
    let h = histories.get(e.subjectRef);
    if (h === undefined) histories.set(e.subjectRef, (h = historyOf(deps, e.subjectRef)));
    const r = replayDecision(e, e.policyVersion === null ? null : await policyOf(e.policyVersion), await h);
    counts.replayed++;
    if (r.status === 'match') counts.matched++;
    else findings.push(r);
    if (r.status === 'mismatch') counts.mismatched++;
    if (r.status === 'not_replayable') counts.notReplayable++;
  }
  if ('entryId' in sel && counts.replayed === 0) return null;
  return { ...counts, findings };
}
