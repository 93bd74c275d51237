import { randomUUID } from 'node:crypto';
import type { SubjectRef } from '../domain/ids.js';
import { SendLedger, type LedgerRecord } from '../infra/redis/send-ledger.js';
import type { SendSpec } from './send-entries.js';
import { deliverAll } from './send-deliver.js';
import type { Delivery, SendPipelineDeps, SendState } from './send-ports.js';
import type { CapRead } from '../infra/redis/guard-state-load.js';
import { DEFAULT_DEFERRAL, type DeferralPolicy, type SendOutcome } from './send-outcome.js';
import { decisionInput, decisionKey, planBatch, type Exclusion } from './send-plan.js';
import { recordsAfterLog } from './send-records.js';

export type { SendSpec } from './send-entries.js';
export type { SendOutcome } from './send-outcome.js';
export { decideSend, RUN_CANCELLED, type Exclusion, type SendDecision } from './send-plan.js';
export type {
  AppendLog,
  Delivery,
  FieldsRead,
  RenderResult,
  SendPipelineDeps,
  SendState,
  TemplateInfo,
  TemplatePort,
} from './send-ports.js';

/**
 * Guard state and send record of every member, one script per subject, in one round trip (members settled before
 * the guard need their record only). What the caller already loaded is not loaded again.
 */
export async function loadSendStates(
  deps: SendPipelineDeps,
  scope: string,
  refs: readonly SubjectRef[],
  excluded: ReadonlyMap<SubjectRef, unknown>,
  have?: ReadonlyMap<SubjectRef, SendState>,
  cap?: CapRead,
): Promise<Map<SubjectRef, SendState>> {
  const out = new Map(have ?? []);
  const todo = refs.filter((r) => !out.has(r));
  const guarded = todo.filter((r) => !excluded.has(r));
  const settled = todo.filter((r) => excluded.has(r));
  const [withState, records] = await Promise.all([
    guarded.length ? deps.loadGuardStatesWith(guarded, (ref) => deps.ledger.key(ref, scope), cap) : [],
    deps.ledger.lookup(settled.map((ref) => ({ ref, scope }))),
  ]);
  guarded.forEach((r, i) =>
    out.set(r, {
      state: withState[i]!.state,
      record: SendLedger.parse(withState[i]!.extra),
      capWindow: withState[i]!.capWindow,
    }),
  );
  settled.forEach((r, i) => out.set(r, { record: records[i] }));
  return out;
}

/** What a capped step reads with each guard state: the subject's window on the step's channel, ending now. */
export function capReadOf(
  deps: Pick<SendPipelineDeps, 'ledger'>,
  spec: Pick<SendSpec, 'frequencyCap' | 'channel'>,
  scope: string,
  nowMs: number,
): CapRead | undefined {
  const cap = spec.frequencyCap;
  return cap
    ? { key: (ref) => deps.ledger.capKey(ref, spec.channel), sinceMs: nowMs - cap.perMs, member: scope }
    : undefined;
}

/** How a run treats one batch. */
export interface SendOptions {
  readonly heartbeat?: () => void;
  readonly deferral?: DeferralPolicy;
  /** Leave deferred members whose next attempt is not yet due (broadcasts); journeys retry them at once. */
  readonly dueOnly?: boolean;
  /** Members settled without a decision, each logged once as its own outcome. */
  readonly excluded?: ReadonlyMap<SubjectRef, Exclusion>;
  /**
   * More such members, known once a read started alongside the state load resolves (a journey step's run flag),
   * so it shares that load's round trip; a member excluded only here still has its state loaded.
   */
  readonly excludedLater?: Promise<ReadonlyMap<SubjectRef, Exclusion> | undefined>;
  /** Guard states and send records already loaded for this batch (by a consent pre-filter); the rest are loaded here. */
  readonly loaded?: ReadonlyMap<SubjectRef, SendState>;
  /** How long the commit of an accepted message waits out a Redis outage (default one minute). */
  readonly commitPatienceMs?: number;
  /** Aborted when Temporal timed this attempt out or cancelled it: no further SMTP send starts. */
  readonly signal?: AbortSignal;
  /** True once the run is paused: no further SMTP send starts, and the member is left waiting (busy, `run_paused`). */
  readonly held?: () => boolean;
}

/**
 * The one path every message takes, for a batch of subjects on one send step of one run: load ledger and guard
 * state together, decide, append every decision durably (nothing is sent if that fails), read only released
 * fields, render strictly, reserve against the consent epoch, deliver, append the delivery outcomes. A retry finds
 * the ledger record and reuses the decision of record; every member ends in one terminal outcome.
 */
export async function runGuardedSends(
  deps: SendPipelineDeps,
  spec: SendSpec,
  refs: readonly SubjectRef[],
  opts: SendOptions = {},
): Promise<SendOutcome[]> {
  const clock = deps.now ?? (() => new Date());
  const now = clock();
  const scope = `${spec.workflowId}:${spec.stepId}`;
  let excluded = opts.excluded ?? new Map<SubjectRef, Exclusion>();
  const [loaded, later] = await Promise.all([
    loadSendStates(deps, scope, refs, excluded, opts.loaded, capReadOf(deps, spec, scope, now.getTime())),
    opts.excludedLater,
  ]);
  if (later?.size) excluded = new Map([...excluded, ...later]);
  // Reservations another attempt still holds under its lease are left alone (that attempt may be sending them
  // now); the run's sweep comes back for them.
  const reserved = refs.filter((r) => {
    const rec = loaded.get(r)!.record;
    return rec?.runId === spec.runId && rec.state === 'reserved';
  });
  const leased = reserved.length ? await deps.ledger.leased(reserved.map((ref) => ({ ref, scope }))) : [];
  const held = new Set(reserved.filter((_, i) => leased[i]));
  const policy = deps.policy();
  const plan = planBatch(
    deps.templates,
    policy,
    spec,
    held.size ? refs.filter((r) => !held.has(r)) : refs,
    loaded,
    excluded,
    opts.dueOnly,
    now,
  );
  const { facts, decisions, outcomes } = plan;
  for (const ref of held)
    outcomes.set(ref, {
      subjectRef: ref,
      status: 'busy',
      reasons: ['another_attempt_owns_this_send'],
      decisionId: loaded.get(ref)!.record?.decisionId ?? null,
    });
  // Every record this attempt writes carries its token (who reserved or settled it) and the retention of the
  // policy it was written under, which sets how long Redis keeps it.
  const owner = randomUUID();
  const retentionDays = policy.bundle.retention.sendLedgerDays;
  const stamp = <T extends LedgerRecord>(rec: T): T => ({ ...rec, owner, retentionDays });

  const entries = [...facts.map((f) => f.entry), ...decisions.map((x) => decisionInput(spec, x))];
  const logged = entries.length
    ? await deps.appendLog(entries, {
        idempotencyKeys: [...facts.map((f) => f.key), ...decisions.map((x) => decisionKey(spec, x))],
      })
    : [];
  // A retried batch gets the stored decision back. A stored denial stands; a stored allow that the guard no
  // longer gives is replaced by an explicit re-decision.
  const second = decisions.flatMap((x, i) => {
    const stored = logged[facts.length + i]!;
    const allowed = x.d.decision.outcome === 'allow' && x.d.extraReasons.length === 0 && x.d.template !== undefined;
    return stored.outcome === 'allow' && !allowed
      ? [{ i, x: { ...x, n: x.n + 1, replaces: stored.id, why: undefined } }]
      : [];
  });
  if (second.length) {
    const again = await deps.appendLog(
      second.map(({ x }) => decisionInput(spec, x)),
      { idempotencyKeys: second.map(({ x }) => decisionKey(spec, x)) },
    );
    second.forEach(({ i, x }, k) => ((decisions[i] = x), (logged[facts.length + i] = again[k]!)));
  }

  const { puts, relogged, settles, fresh } = recordsAfterLog(spec, policy, plan, logged, loaded, now);
  // Closing a crashed attempt's reservation takes it over: refused (busy) if its owner turned out to be alive.
  const abandoned = settles.map(([ref, rec]) =>
    deps.ledger.settle(ref, scope, stamp(rec)).then((applied) => {
      if (!applied) outcomes.set(ref, { ...outcomes.get(ref)!, status: 'busy' });
    }),
  );
  const applied = puts.length
    ? await deps.ledger.put(
        scope,
        puts.map(([ref, rec]) => [ref, stamp(rec)] as const),
        spec.frequencyCap ? spec.channel : undefined,
      )
    : [];
  const lost = new Set(puts.filter((_, i) => !applied[i]).map(([ref]) => ref));
  for (const ref of lost)
    outcomes.set(ref, {
      subjectRef: ref,
      status: 'busy',
      reasons: ['another_attempt_owns_this_send'],
      decisionId: null,
    });
  if (relogged.size) await deps.ledger.markLogged(scope, relogged);
  await Promise.all(abandoned);

  const sendable: Delivery[] = [...plan.sendable, ...fresh].map((d) => ({ ...d, rec: stamp(d.rec) }));
  for (const o of await deliverAll(deps, spec, scope, sendable, {
    heartbeat: opts.heartbeat ?? (() => {}),
    deferral: opts.deferral ?? DEFAULT_DEFERRAL,
    now: clock,
    commitPatienceMs: opts.commitPatienceMs,
    signal: opts.signal,
    held: opts.held,
  }))
    outcomes.set(o.subjectRef, o);
  const result = refs.map((r) => outcomes.get(r)!);
  deps.onOutcomes?.(spec, result);
  return result;
}
