import { ConsentProjection, type GuardState } from '../../domain/consent-state.js';
import type { SubjectRef } from '../../domain/ids.js';
import { Suppression } from '../../domain/suppression.js';
import type { GuardLoadReply, withConsentScripts } from './consent-scripts.js';
import type { RedisKeys } from './keys.js';
import { onOneNode } from './connect.js';

/** The state handed to the guard when loading failed: the guard denies with state_unavailable. */
export function unavailableState(reason: string): GuardState {
  return { consent: {}, suppressions: [], erased: false, personalisation: 'off', loadError: reason };
}

const guardKeys = (keys: RedisKeys, ref: SubjectRef) =>
  [keys.consentState(ref), keys.suppression(ref), keys.erased(ref), keys.flags(ref), keys.epoch(ref)] as const;

function pairs(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

/** Parses one guard-load reply; anything unexpected becomes a fail-closed state, never an exception. */
export function parseGuardReply(reply: unknown): GuardState {
  try {
    const [consentFlat, suppressionFlat, erased, [flag, birthYear], epoch] = reply as GuardLoadReply;
    const consent = ConsentProjection.safeParse(
      Object.fromEntries(Object.entries(pairs(consentFlat)).map(([k, v]) => [k, JSON.parse(v)])),
    );
    if (!consent.success) return unavailableState('consent projection failed validation');
    const suppressions = Object.values(pairs(suppressionFlat)).map((v) => Suppression.safeParse(JSON.parse(v)));
    if (suppressions.some((s) => !s.success)) return unavailableState('suppression record failed validation');
    // No recorded choice means the subject has not objected to personalisation; anything else unknown fails closed.
    if (flag !== '' && flag !== 'on' && flag !== 'off') return unavailableState('personalisation flag is unreadable');
    if (!/^\d+$/.test(epoch ?? '')) return unavailableState('consent epoch is unreadable');
    // A birth year decides whether a guardian must have consented: one that cannot be read fails closed.
    if (birthYear !== '' && !/^\d{4}$/.test(birthYear)) return unavailableState('birth year is unreadable');
    return {
      consent: consent.data,
      suppressions: suppressions.flatMap((s) => (s.success ? [s.data] : [])),
      erased: erased === 1,
      personalisation: flag === 'off' ? 'off' : 'on',
      epoch: Number(epoch),
      ...(birthYear === '' ? {} : { birthYear: Number(birthYear) }),
    };
  } catch {
    return unavailableState('guard state is unreadable');
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const describe = (e: unknown) => `store error: ${e instanceof Error ? e.message : String(e)}`;

/** Loads one subject's guard state in one round trip; never throws. */
export async function loadOne(
  redis: ReturnType<typeof withConsentScripts>,
  keys: RedisKeys,
  ref: SubjectRef,
  timeoutMs: number,
): Promise<GuardState> {
  try {
    const reply = await withTimeout(redis.cfGuardLoad(...guardKeys(keys, ref)), timeoutMs);
    return parseGuardReply(reply);
  } catch (e) {
    return unavailableState(describe(e));
  }
}

/** Loads many subjects, `batch` per round trip, in input order; never throws. */
export async function loadMany(
  redis: ReturnType<typeof withConsentScripts>,
  keys: RedisKeys,
  refs: readonly SubjectRef[],
  opts: { batch: number; timeoutMs: number },
): Promise<GuardState[]> {
  const out: GuardState[] = [];
  for (let i = 0; i < refs.length; i += opts.batch) {
    const chunk = refs.slice(i, i + opts.batch);
    // One command per subject, sent together: the client pipelines them (per node, in a cluster).
    const replies = chunk.map((ref) =>
      redis.cfGuardLoad(...guardKeys(keys, ref)).then(parseGuardReply, (e: unknown) => unavailableState(describe(e))),
    );
    try {
      out.push(...(await withTimeout(Promise.all(replies), opts.timeoutMs)));
    } catch (e) {
      for (const _ of chunk) out.push(unavailableState(describe(e)));
    }
  }
  return out;
}

/** One batch's guard-load replies from one script call (all keys on one node), as the per-subject scripts give them. */
async function loadBatch(
  redis: ReturnType<typeof withConsentScripts>,
  keys: RedisKeys,
  refs: readonly SubjectRef[],
  extraKey: (ref: SubjectRef) => string,
  cap: CapRead | undefined,
): Promise<unknown[][]> {
  if (!refs.length) return [];
  const args: string[] = [];
  for (const ref of refs) {
    args.push(...guardKeys(keys, ref), extraKey(ref));
    if (cap) args.push(cap.key(ref));
  }
  const replies = await redis.cfGuardLoadMany(
    args.length,
    ...args,
    ...(cap ? ['7', String(cap.sinceMs), cap.member] : ['6']),
  );
  if (!Array.isArray(replies) || replies.length !== refs.length)
    throw new Error(
      `the guard load answered ${Array.isArray(replies) ? replies.length : 'no'} states for ${refs.length}`,
    );
  return replies;
}

/** A guard state with the value of one more key of the subject's slot ('' when absent), and its cap window if asked. */
export interface GuardStateWith {
  readonly state: GuardState;
  readonly extra: string;
  /** Sends counted in the frequency-cap window, and whether this step already holds one of them. */
  readonly capWindow?: CapWindow;
}

/** A subject's frequency-cap window as a send step sees it before deciding. */
export interface CapWindow {
  readonly used: number;
  readonly held: boolean;
}

/** Which frequency-cap window to read with each guard state: its key, the window's start (ms) and the step's slot name. */
export interface CapRead {
  readonly key: (ref: SubjectRef) => string;
  readonly sinceMs: number;
  readonly member: string;
}

/**
 * Loads many subjects' guard states, each with one more key of its slot (and, given `cap`, its frequency-cap
 * window), `batch` per round trip. Unlike the plain load it throws when Redis does not answer: the extra key (a send
 * record) must not be taken as absent.
 */
export async function loadManyWith(
  redis: ReturnType<typeof withConsentScripts>,
  keys: RedisKeys,
  refs: readonly SubjectRef[],
  extraKey: (ref: SubjectRef) => string,
  opts: { batch: number; timeoutMs: number; cap?: CapRead },
): Promise<GuardStateWith[]> {
  const out: GuardStateWith[] = [];
  const { cap } = opts;
  // On one node, one script reads the whole batch; a Redis Cluster spreads subjects over slots, so there it is one
  // script per subject, pipelined per node.
  const oneNode = onOneNode(redis);
  for (let i = 0; i < refs.length; i += opts.batch) {
    const chunk = refs.slice(i, i + opts.batch);
    const replies = await withTimeout(
      oneNode
        ? loadBatch(redis, keys, chunk, extraKey, cap)
        : Promise.all(
            chunk.map((ref) =>
              cap
                ? redis.cfGuardLoadCap(
                    ...guardKeys(keys, ref),
                    extraKey(ref),
                    cap.key(ref),
                    String(cap.sinceMs),
                    cap.member,
                  )
                : redis.cfGuardLoadWith(...guardKeys(keys, ref), extraKey(ref)),
            ),
          ),
      opts.timeoutMs,
    );
    for (const reply of replies) {
      const extra = typeof reply[5] === 'string' ? reply[5] : '';
      const state = parseGuardReply(reply.slice(0, 5));
      if (!cap) {
        out.push({ state, extra });
        continue;
      }
      // An unreadable window fails closed: counted as full, so the guard's allow becomes a capped denial.
      const [, , , , , , counted, score] = reply as unknown[];
      const used = typeof counted === 'number' ? counted : Number.POSITIVE_INFINITY;
      out.push({
        state,
        extra,
        capWindow: { used, held: typeof score === 'string' && score !== '' && Number(score) > cap.sinceMs },
      });
    }
  }
  return out;
}
