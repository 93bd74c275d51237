import type { Redis } from 'ioredis';
import { ConsentEvent } from '../../domain/consent.js';
import { ConsentProjection, type GuardState, projectionKey, rebuild } from '../../domain/consent-state.js';
import type { SubjectRef } from '../../domain/ids.js';
import { Suppression, type SuppressionKind } from '../../domain/suppression.js';
import { withConsentScripts } from './consent-scripts.js';
import { loadMany, loadManyWith, loadOne, type CapRead, type GuardStateWith } from './guard-state-load.js';
import { awaitInflightSends } from './inflight.js';
import type { RedisKeys } from './keys.js';

/** A consent event or suppression handed to the store failed its schema: a caller bug, nothing was written. */
export class InvalidConsentRecordError extends Error {
  override readonly name = 'InvalidConsentRecordError';
}

/** Stored consent data failed its schema on the way out: the store is corrupt or was written by something else. */
export class CorruptConsentDataError extends Error {
  override readonly name = 'CorruptConsentDataError';
}

/** Which suppressions a person (or an operator) may lift; erasure is final, and a minor flag needs age proof. */
export const liftableSuppression: Readonly<Record<SuppressionKind, boolean>> = {
  unsubscribe_all: true,
  hard_bounce: true,
  complaint: true,
  objection: true,
  minor: true,
  erased: false,
};

/** What the consent store needs; all injected. */
export interface ConsentStoreDeps {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  /** Per guard load; past it the guard gets a fail-closed state. */
  readonly loadTimeoutMs?: number;
  /** Subjects per pipelined round trip in bulk loads. */
  readonly bulkBatch?: number;
  /** Longest a withdrawal waits for sends already reserved (a crashed sender's reservation expires by then). */
  readonly drainTimeoutMs?: number;
}

// JSON.parse throws on garbage; stored data that is not JSON is corruption like any other schema failure.
function parseJson(raw: string | undefined, what: string): unknown {
  try {
    return JSON.parse(raw ?? 'null');
  } catch {
    throw new CorruptConsentDataError(`${what} is not JSON`);
  }
}

const suppressionField = (kind: SuppressionKind, channel?: string) => (channel ? `${kind}|${channel}` : kind);

/**
 * Append-only consent events with their projection, and global suppressions. There is deliberately no method that
 * updates or deletes an event: a change of mind is a new event.
 */
export class ConsentStore {
  readonly #redis: ReturnType<typeof withConsentScripts>;
  readonly #keys: RedisKeys;
  readonly #timeoutMs: number;
  readonly #batch: number;
  readonly #drainMs: number;

  constructor(deps: ConsentStoreDeps) {
    this.#drainMs = deps.drainTimeoutMs ?? 30_000;
    this.#redis = withConsentScripts(deps.redis);
    this.#keys = deps.keys;
    this.#timeoutMs = deps.loadTimeoutMs ?? 500;
    this.#batch = deps.bulkBatch ?? 500;
  }

  /** Appends an event to the subject's event list and updates the projection in one Lua script: both happen or neither does. */
  async append(event: ConsentEvent): Promise<{ readonly streamId: string; readonly event: ConsentEvent }> {
    const r = await this.#append(event, '');
    if (r.status === 'older') throw new InvalidConsentRecordError('consent append refused an undated event as older');
    return { streamId: r.streamId, event: r.event };
  }

  /**
   * Appends an answer given in the past (a migration): refused, with the time of the later answer, when the
   * subject already has a later answer for that purpose and channel, so history stays in time order.
   */
  async appendBackdated(
    event: ConsentEvent,
  ): Promise<
    { readonly status: 'appended'; readonly streamId: string } | { readonly status: 'older'; readonly latestAt: string }
  > {
    const r = await this.#append(event, new Date(event.occurredAt).toISOString());
    return r.status === 'older' ? r : { status: 'appended', streamId: r.streamId };
  }

  async #append(
    event: ConsentEvent,
    notBefore: string,
  ): Promise<{ status: 'appended'; streamId: string; event: ConsentEvent } | { status: 'older'; latestAt: string }> {
    const parsed = ConsentEvent.safeParse(event);
    if (!parsed.success)
      throw new InvalidConsentRecordError(
        `consent event rejected: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const ref = parsed.data.subjectRef;
    const json = JSON.stringify(parsed.data);
    const k = this.#keys;
    const reply = await this.#redis.cfConsentAppend(
      k.consentEvents(ref),
      k.consentState(ref),
      k.epoch(ref),
      k.inflight(ref),
      projectionKey(parsed.data.purpose, parsed.data.channel),
      json,
      notBefore,
    );
    if (reply[0] === 'older' && typeof reply[1] === 'string') return { status: 'older', latestAt: reply[1] };
    const [streamId, inflight] = reply as [string, number];
    if (inflight > 0 && parsed.data.type !== 'granted' && parsed.data.type !== 'reconfirmed') await this.#drain(ref);
    return { status: 'appended', streamId, event: parsed.data };
  }

  /** Every event of the subject, oldest first, validated on the way out. */
  async events(ref: SubjectRef): Promise<ConsentEvent[]> {
    return (await this.eventsWithTimes(ref)).map((e) => e.event);
  }

  /** Every event of the subject with the time the store committed it (the `ms-seq` id's ms), oldest first. */
  async eventsWithTimes(ref: SubjectRef): Promise<{ readonly event: ConsentEvent; readonly recordedAtMs: number }[]> {
    const key = this.#keys.consentEvents(ref);
    // Subjects recorded before events moved to lists still hold a stream.
    const entries: Array<readonly [string, string | undefined]> =
      (await this.#redis.type(key)) === 'stream'
        ? (await this.#redis.xrange(key, '-', '+')).map(([id, fields]) => [id, fields[1]] as const)
        : (await this.#redis.lrange(key, 0, -1)).map((item) => {
            const cut = item.indexOf(' ');
            return [cut < 0 ? '?' : item.slice(0, cut), cut < 0 ? undefined : item.slice(cut + 1)] as const;
          });
    return entries.map(([id, json]) => {
      const r = ConsentEvent.safeParse(parseJson(json, `consent event ${id} of ${ref}`));
      if (!r.success) throw new CorruptConsentDataError(`consent event ${id} of ${ref} failed validation`);
      return { event: r.data, recordedAtMs: Number(id.split('-')[0]) };
    });
  }

  /** The stored projection: `purpose|channel` → latest event. */
  async projection(ref: SubjectRef): Promise<ConsentProjection> {
    const raw = await this.#redis.hgetall(this.#keys.consentState(ref));
    const r = ConsentProjection.safeParse(
      Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, parseJson(v, `consent projection of ${ref}`)])),
    );
    if (!r.success) throw new CorruptConsentDataError(`consent projection of ${ref} failed validation`);
    return r.data;
  }

  /** Rebuilds the projection from the events and compares it with the stored one (read-only; audits drift). */
  async rebuildProjection(
    ref: SubjectRef,
  ): Promise<{ readonly rebuilt: ConsentProjection; readonly stored: ConsentProjection; readonly matches: boolean }> {
    const [events, stored] = await Promise.all([this.events(ref), this.projection(ref)]);
    const rebuilt = rebuild(events);
    const canon = (p: ConsentProjection) =>
      JSON.stringify(
        Object.keys(p)
          .sort()
          .map((k) => [k, p[k]]),
      );
    return { rebuilt, stored, matches: canon(rebuilt) === canon(stored) };
  }

  /** Records a global suppression (all channels unless `channel` is given); it overrides every purpose consent. */
  async suppress(
    ref: SubjectRef,
    kind: SuppressionKind,
    source: string,
    opts: { channel?: Suppression['channel']; now?: Date } = {},
  ): Promise<Suppression> {
    const r = Suppression.safeParse({
      kind,
      source,
      at: (opts.now ?? new Date()).toISOString(),
      ...(opts.channel ? { channel: opts.channel } : {}),
    });
    if (!r.success)
      throw new InvalidConsentRecordError(
        `suppression rejected: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const [, inflight] = await this.#stateWrite(
      this.#keys.suppression(ref),
      ref,
      'set',
      suppressionField(kind, opts.channel),
      JSON.stringify(r.data),
    );
    if (inflight > 0) await this.#drain(ref);
    return r.data;
  }

  /** Lifts a suppression when its kind allows it; erasure never can be lifted. */
  async unsuppress(
    ref: SubjectRef,
    kind: SuppressionKind,
    channel?: Suppression['channel'],
  ): Promise<'removed' | 'absent' | 'not_liftable'> {
    if (!liftableSuppression[kind]) return 'not_liftable';
    const [n] = await this.#stateWrite(this.#keys.suppression(ref), ref, 'del', suppressionField(kind, channel));
    return n > 0 ? 'removed' : 'absent';
  }

  /** The subject's current suppressions. */
  async suppressions(ref: SubjectRef): Promise<Suppression[]> {
    const raw = await this.#redis.hgetall(this.#keys.suppression(ref));
    return Object.values(raw).map((v) => {
      const r = Suppression.safeParse(parseJson(v, `a suppression record of ${ref}`));
      if (!r.success) throw new CorruptConsentDataError(`a suppression record of ${ref} failed validation`);
      return r.data;
    });
  }

  /** Records the subject's personalisation choice (PIPL 24). */
  async setPersonalisation(ref: SubjectRef, value: GuardState['personalisation']): Promise<void> {
    await this.#stateWrite(this.#keys.flags(ref), ref, 'set', 'personalisation', value);
  }

  // Every write the guard reads bumps the subject's consent epoch in the same script, so a send decided before it
  // can no longer be reserved.
  #stateWrite(
    hash: string,
    ref: SubjectRef,
    op: 'set' | 'del',
    field: string,
    value?: string,
  ): Promise<[number, number]> {
    const k = this.#keys;
    return value === undefined
      ? this.#redis.cfStateWrite(hash, k.epoch(ref), k.inflight(ref), op, field)
      : this.#redis.cfStateWrite(hash, k.epoch(ref), k.inflight(ref), op, field, value);
  }

  // A withdrawal is acknowledged only once sends reserved before it have been answered, so no message is accepted
  // after the caller was told the withdrawal holds.
  #drain(ref: SubjectRef): Promise<void> {
    return awaitInflightSends(this.#redis, this.#keys.inflight(ref), this.#drainMs);
  }

  /** Everything the guard needs in one round trip; on any error or bad data a state with `loadError` (fail closed). */
  loadGuardState(ref: SubjectRef): Promise<GuardState> {
    return loadOne(this.#redis, this.#keys, ref, this.#timeoutMs);
  }

  /** Guard states for many subjects, pipelined (500 per round trip by default), in input order; never throws. */
  loadGuardStates(refs: readonly SubjectRef[]): Promise<GuardState[]> {
    return loadMany(this.#redis, this.#keys, refs, { batch: this.#batch, timeoutMs: this.#timeoutMs });
  }

  /** Guard states, each with one more key of the subject's slot (and a cap window) read by the same script; throws if Redis is away. */
  loadGuardStatesWith(
    refs: readonly SubjectRef[],
    extraKey: (ref: SubjectRef) => string,
    cap?: CapRead,
  ): Promise<GuardStateWith[]> {
    return loadManyWith(this.#redis, this.#keys, refs, extraKey, {
      batch: this.#batch,
      timeoutMs: this.#timeoutMs,
      cap,
    });
  }
}
