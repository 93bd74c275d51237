import type { ConsentEvent } from './consent.js';
import type { CompiledPolicy } from './policy.js';
import { projectionKey } from './consent-state.js';
import type { TransferFacts } from './review-cross-border.js';

/** The part of an allow decision a review keeps to judge the sends it authorised. */
export interface DecisionFacts {
  readonly id: string;
  readonly partition: number;
  readonly seq: number;
  readonly at: string;
  readonly outcome: string;
  readonly subjectRef: string;
  readonly purpose: string | null;
  readonly channel: string | null;
  readonly noticeVersion: string | null;
  readonly consentEventId: string | null;
  readonly fieldsReleased: readonly string[];
  /** The policy the decision was made under (absent in states parked before it was kept). */
  readonly policyVersion?: string | null;
  /** Where the data went and what the move relied on (absent in states parked before it was kept). */
  readonly transfer?: TransferFacts;
}

/** Released fields that are neither the channel's address field nor in the purpose's allow-list (all of them for an unknown purpose). */
export function fieldsOutsidePurpose(
  policy: CompiledPolicy,
  purpose: string | null,
  channel: string | null,
  released: readonly string[],
): string[] {
  const cp = purpose === null ? undefined : policy.purposes.get(purpose);
  const address = channel === null ? undefined : policy.addressFields.get(channel);
  return released.filter((f) => f !== address && !(cp?.allowedFields.has(f) ?? false));
}

function latestMaterialAt(policy: CompiledPolicy, atMs: number): number {
  for (const n of policy.materialNotices) if (n.effectiveAtMs <= atMs) return n.version;
  return 0;
}

/** True when the decision's notice is below the purpose's minimum or the latest material notice in force then; a missing or non-numeric version counts as outdated (fail closed). */
export function noticeOutdated(
  policy: CompiledPolicy,
  purpose: string | null,
  noticeVersion: string | null,
  atMs: number,
): boolean {
  const v = noticeVersion === null ? NaN : Number(noticeVersion);
  if (!Number.isFinite(v)) return true;
  const min = (purpose === null ? undefined : policy.purposes.get(purpose))?.purpose.minNoticeVersion ?? Infinity;
  return v < min || v < latestMaterialAt(policy, atMs);
}

/** True unless the processor is known, has an agreement, and the agreement covers `atMs`. */
export function agreementInvalid(policy: CompiledPolicy, processor: string | null, atMs: number): boolean {
  const p = processor === null ? undefined : policy.processors.get(processor);
  return p === undefined || !p.hasAgreement || atMs < p.validFromMs || atMs >= p.validUntilMs;
}

/**
 * Whether the subject's answer for this purpose and channel was a withdrawal at `atMs`: the events committed by
 * then are replayed and, as the guard does, the most specific recorded answer (purpose, then its ancestors) wins.
 */
export function withdrawnBefore(
  policy: CompiledPolicy,
  events: readonly ConsentEvent[],
  purpose: string | null,
  channel: string | null,
  atMs: number,
): boolean {
  const cp = purpose === null ? undefined : policy.purposes.get(purpose);
  const keys = channel === null ? undefined : cp?.consentKeys[channel];
  if (keys === undefined) return false;
  const latest = new Map<string, ConsentEvent>();
  for (const e of events) if (Date.parse(e.occurredAt) <= atMs) latest.set(projectionKey(e.purpose, e.channel), e);
  for (const k of keys) {
    const e = latest.get(k);
    if (e !== undefined) return e.type === 'withdrawn';
  }
  return false;
}

const ULID_TIME = /^[0-9A-HJKMNP-TV-Z]{10}/;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The millisecond timestamp in a ULID's first ten characters, or null when `id` is not a ULID. */
export function ulidTime(id: string): number | null {
  if (!ULID_TIME.test(id) || id.length !== 26) return null;
  let t = 0;
  for (const c of id.slice(0, 10)) t = t * 32 + CROCKFORD.indexOf(c);
  return t;
}

/** When the consent a decision relied on was given: its event's time, else the time in its ULID id, else null. */
export function consentGivenAt(events: readonly ConsentEvent[], consentEventId: string | null): number | null {
  if (consentEventId === null) return null;
  const e = events.find((x) => x.id === consentEventId);
  return e ? Date.parse(e.occurredAt) : ulidTime(consentEventId);
}

/** Pending double opt-ins of one subject: pending grants not followed by a later event for the same purpose and channel. */
export function pendingDoubleOptIns(events: readonly ConsentEvent[]): number {
  const latest = new Map<string, ConsentEvent>();
  for (const e of events) latest.set(projectionKey(e.purpose, e.channel), e);
  let n = 0;
  for (const e of latest.values()) if (e.type === 'granted' && e.pending === true) n++;
  return n;
}

/** Notice versions of the subject's current grants (latest event per purpose and channel, confirmed grants only). */
export function currentGrantNotices(events: readonly ConsentEvent[]): number[] {
  const latest = new Map<string, ConsentEvent>();
  for (const e of events) latest.set(projectionKey(e.purpose, e.channel), e);
  return [...latest.values()]
    .filter((e) => (e.type === 'granted' || e.type === 'reconfirmed') && e.pending !== true)
    .map((e) => e.noticeVersion);
}

const DAY_MS = 86_400_000;

/** Adds working days (Monday to Friday, UTC) to a time: the strictest request deadline we build to is 15 of them. */
export function addWorkingDays(fromMs: number, days: number): number {
  let t = fromMs;
  let left = days;
  while (left > 0) {
    t += DAY_MS;
    const wd = new Date(t).getUTCDay();
    if (wd !== 0 && wd !== 6) left--;
  }
  return t;
}
