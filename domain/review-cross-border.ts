import { z } from 'zod';
import type { ConsentEvent } from './consent.js';
import type { LogEntry } from './decision-log.js';
import { type CompiledPolicy, isAbroad, jurisdictionOf } from './policy.js';

export { PROCESSOR_NOTICE_STEP } from './notice-transfer.js';

/** What a review keeps of a decision to judge a move abroad; the v2 log columns, null in v1 entries. */
export interface TransferFacts {
  readonly jurisdiction: string | null;
  readonly transferTo: string | null;
  readonly transferMechanism: string | null;
  readonly transferMechanismKind: string | null;
  readonly transferValidFrom: string | null;
  readonly transferValidUntil: string | null;
  readonly transferConsentEventId: string | null;
}

/** The transfer columns of an entry, for the facts a review parks. */
export const transferFacts = (e: LogEntry): TransferFacts => ({
  jurisdiction: e.jurisdiction,
  transferTo: e.transferTo,
  transferMechanism: e.transferMechanism,
  transferMechanismKind: e.transferMechanismKind,
  transferValidFrom: e.transferValidFrom,
  transferValidUntil: e.transferValidUntil,
  transferConsentEventId: e.transferConsentEventId,
});

/** The facts of a decision logged before the transfer columns existed. */
export const UNRECORDED: TransferFacts = {
  jurisdiction: null,
  transferTo: null,
  transferMechanism: null,
  transferMechanismKind: null,
  transferValidFrom: null,
  transferValidUntil: null,
  transferConsentEventId: null,
};

const Count = z.number().int().min(0);

/** One mechanism relied on, with how many moves relied on it. */
export const MechanismUse = z.object({
  reference: z.string(),
  kind: z.string().nullable(),
  validFrom: z.string().nullable(),
  validUntil: z.string().nullable(),
  moves: Count,
});

/** What one processor received from subjects of one jurisdiction: counts, field names (never values), mechanisms. */
export const CrossBorderRow = z.object({
  processor: z.string(),
  /** The rule applied to the subject; `(not recorded)` for decisions logged before the log kept it. */
  jurisdiction: z.string(),
  /** The processor's region when the data left the jurisdiction, else null. */
  transferTo: z.string().nullable(),
  sends: Count,
  /** Processor notices that carried corrected values. */
  notices: Count,
  /** Field name → times sent. */
  fields: z.record(z.string(), Count),
  mechanisms: z.array(MechanismUse),
  /** Moves abroad with no mechanism in force at decision time where the rule requires one. */
  withoutMechanism: Count,
  /** Moves abroad without a recorded, live separate consent where the rule requires one (PIPL 39). */
  withoutConsent: Count,
});
export type CrossBorderRow = z.infer<typeof CrossBorderRow>;

/** The section's accumulating form: rows keyed by processor and jurisdiction, mechanisms keyed by reference. */
export type CrossBorderState = Record<
  string,
  Omit<CrossBorderRow, 'mechanisms'> & { mechanisms: Record<string, z.infer<typeof MechanismUse>> }
>;

const NOT_RECORDED = '(not recorded)';

/** One move of personal data to a processor: a sent message (its decision's facts) or a processor notice. */
export interface Move {
  readonly entryId: string;
  readonly processor: string | null;
  /** When the decision was made: the mechanism must be in force then. */
  readonly decidedAt: string;
  readonly fields: readonly string[];
  readonly facts: TransferFacts;
  readonly notice: boolean;
}

const inForce = (f: TransferFacts, atMs: number): boolean =>
  f.transferMechanism !== null &&
  f.transferValidFrom !== null &&
  f.transferValidUntil !== null &&
  Date.parse(f.transferValidFrom) <= atMs &&
  atMs < Date.parse(f.transferValidUntil);

// The separate consent named must be on record, a grant, given before the move and not answered otherwise since.
function consentHolds(events: readonly ConsentEvent[], id: string | null, atMs: number): boolean {
  const e = id === null ? undefined : events.find((x) => x.id === id);
  if (e === undefined || (e.type !== 'granted' && e.type !== 'reconfirmed') || Date.parse(e.occurredAt) > atMs)
    return false;
  const since = Date.parse(e.occurredAt);
  return !events.some(
    (x) =>
      x.purpose === e.purpose &&
      x.channel === e.channel &&
      x.id !== e.id &&
      (x.type === 'withdrawn' || x.type === 'expired') &&
      Date.parse(x.occurredAt) >= since &&
      Date.parse(x.occurredAt) <= atMs,
  );
}

/**
 * Folds one move (a sent message or a processor notice) into the section and flags it when it left the subject's
 * jurisdiction without what that jurisdiction's rule requires. Whether it left is judged from the policy (processor
 * region), not only from the entry's own claim; an unknown processor counts as abroad (fail closed).
 */
export function addMove(
  state: CrossBorderState,
  violation: (entryId: string) => void,
  policy: CompiledPolicy,
  m: Move,
  events: readonly ConsentEvent[],
): void {
  const f = m.facts;
  const processor = m.processor ?? '(none)';
  const jurisdiction = f.jurisdiction ?? NOT_RECORDED;
  const proc = m.processor === null ? undefined : policy.processors.get(m.processor);
  const rule = f.jurisdiction === null ? undefined : jurisdictionOf(policy, f.jurisdiction);
  const abroad = f.transferTo !== null || (rule !== undefined && (proc === undefined || isAbroad(proc, rule)));
  const row = (state[`${processor}|${jurisdiction}`] ??= {
    processor,
    jurisdiction,
    transferTo: null,
    sends: 0,
    notices: 0,
    fields: {},
    mechanisms: {},
    withoutMechanism: 0,
    withoutConsent: 0,
  });
  if (m.notice) row.notices++;
  else row.sends++;
  for (const name of m.fields) row.fields[name] = (row.fields[name] ?? 0) + 1;
  if (!abroad || rule === undefined) return;
  row.transferTo = f.transferTo ?? proc?.regionCode ?? row.transferTo;
  const atMs = Date.parse(m.decidedAt);
  if (f.transferMechanism !== null) {
    const use = (row.mechanisms[f.transferMechanism] ??= {
      reference: f.transferMechanism,
      kind: f.transferMechanismKind,
      validFrom: f.transferValidFrom,
      validUntil: f.transferValidUntil,
      moves: 0,
    });
    use.moves++;
  }
  const noMechanism = rule.mechanismRequired && !inForce(f, atMs);
  const noConsent = rule.separateConsent && !consentHolds(events, f.transferConsentEventId, atMs);
  if (noMechanism) row.withoutMechanism++;
  if (noConsent) row.withoutConsent++;
  if (noMechanism || noConsent) violation(m.entryId);
}

/** The section as the report carries it, busiest first. */
export function crossBorderSection(state: CrossBorderState | undefined): CrossBorderRow[] {
  return Object.values(state ?? {})
    .map((r) => ({ ...r, mechanisms: Object.values(r.mechanisms) }))
    .sort(
      (a, b) =>
        b.sends + b.notices - (a.sends + a.notices) ||
        a.processor.localeCompare(b.processor) ||
        a.jurisdiction.localeCompare(b.jurisdiction),
    );
}
