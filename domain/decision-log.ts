import { z } from 'zod';
import { SubjectRef } from './ids.js';

/**
 * What an entry records: a guard decision, a delivery outcome, a review action, a campaign-run outcome that is
 * neither (held out, not eligible, exited), the summary that closes a run, an operator action (key rotation), or a
 * recipient's complaint about a message we sent (a feedback-loop report or a relay's complaint event).
 */
export const LogKind = {
  decision: 'decision',
  delivery: 'delivery',
  review: 'review',
  outcome: 'outcome',
  run: 'run',
  operator: 'operator',
  complaint: 'complaint',
} as const;
export type LogKind = (typeof LogKind)[keyof typeof LogKind];

/** The outcome of an entry; which outcomes a kind may carry is fixed by `OUTCOMES_BY_KIND`. */
export const LogOutcome = {
  allow: 'allow',
  deny: 'deny',
  sent: 'sent',
  failed: 'failed',
  /** A delivery receipt: the handset got the message, or the network gave up on it. */
  delivered: 'delivered',
  undelivered: 'undelivered',
  recorded: 'recorded',
  held_out: 'held_out',
  not_eligible: 'not_eligible',
  exited: 'exited',
  summary: 'summary',
} as const;
export type LogOutcome = (typeof LogOutcome)[keyof typeof LogOutcome];

/** The outcomes each kind may carry, so a delivery can never read as an `allow`. */
export const OUTCOMES_BY_KIND: Readonly<Record<LogKind, readonly LogOutcome[]>> = {
  decision: ['allow', 'deny'],
  delivery: ['sent', 'failed', 'delivered', 'undelivered'],
  review: ['recorded'],
  outcome: ['held_out', 'not_eligible', 'exited'],
  run: ['summary'],
  operator: ['recorded'],
  complaint: ['recorded'],
};

/** Hash of the (virtual) entry before seq 1 of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Patterns and limits of the entry's columns, shared by the schemas below and the append's fast check. */
export const ENTRY_RULES = {
  ulid: /^[0-9A-HJKMNP-TV-Z]{26}$/,
  hash: /^[0-9a-f]{64}$/,
  code: /^[a-z][a-z0-9_]*$/,
  codeMax: 64,
  fieldName: /^[A-Za-z][A-Za-z0-9_.]*$/,
  fieldNameMax: 128,
  textMax: 256,
  smtpCodeMin: 100,
  smtpCodeMax: 599,
  reasonsMax: 64,
  fieldsMax: 256,
} as const;

const Ulid = z.string().regex(ENTRY_RULES.ulid, 'must be a ULID');
const Hash = z.string().regex(ENTRY_RULES.hash, 'must be 64 lowercase hex characters');
const Text = z.string().min(1).max(ENTRY_RULES.textMax);
const Code = z.string().regex(ENTRY_RULES.code, 'must be a snake_case code').max(ENTRY_RULES.codeMax);
const FieldName = z.string().regex(ENTRY_RULES.fieldName, 'must be a field name').max(ENTRY_RULES.fieldNameMax);
/** An entry's own time: UTC with milliseconds, as `toISOString` writes it. */
export const EntryTime = z.iso.datetime({ precision: 3 });
/** The bounds of a transfer mechanism's validity: any ISO date-time with an offset. */
export const TransferTime = z.iso.datetime({ offset: true });

// Fields a kind may leave empty: stored as null (never absent) so every entry has the same shape.
const optionalFields = {
  campaignId: Text,
  campaignVersion: Text,
  workflowId: Text,
  runId: Text,
  stepId: Text,
  purpose: Text,
  channel: Text,
  processor: Text,
  consentEventId: Text,
  noticeVersion: Text,
  policyVersion: Text,
  templateId: Text,
  templateHash: Text,
  decisionId: Ulid,
  result: Text,
  smtpCode: z.number().int().min(ENTRY_RULES.smtpCodeMin).max(ENTRY_RULES.smtpCodeMax),
  messageId: Text,
  // Canonical v2: where the data went and what the move relied on (rule code, region, mechanism, consent id).
  jurisdiction: Text,
  transferTo: Text,
  transferMechanism: Text,
  transferMechanismKind: Code,
  transferValidFrom: TransferTime,
  transferValidUntil: TransferTime,
  transferConsentEventId: Text,
};
const listFields = {
  reasons: z.array(Code).max(ENTRY_RULES.reasonsMax),
  fieldsRequested: z.array(FieldName).max(ENTRY_RULES.fieldsMax),
  fieldsReleased: z.array(FieldName).max(ENTRY_RULES.fieldsMax),
  fieldsWithheld: z.array(FieldName).max(ENTRY_RULES.fieldsMax),
};
const required = { subjectRef: SubjectRef, kind: z.enum(LogKind), outcome: z.enum(LogOutcome) };

type Shape = Record<string, z.ZodType>;
const mapShape = <T extends Shape, R>(shape: T, f: (s: z.ZodType) => z.ZodType): { [K in keyof T]: R } =>
  Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, f(s)])) as { [K in keyof T]: R };
const nullable = <T extends Shape>(s: T) =>
  mapShape<T, z.ZodNullable<T[keyof T]>>(s, (x) => x.nullable()) as { [K in keyof T]: z.ZodNullable<T[K]> };
const nullDefault = <T extends Shape>(s: T) =>
  mapShape<T, unknown>(s, (x) => x.nullable().default(null)) as { [K in keyof T]: z.ZodDefault<z.ZodNullable<T[K]>> };
const emptyDefault = <T extends Shape>(s: T) =>
  mapShape<T, unknown>(s, (x) => x.default([])) as { [K in keyof T]: z.ZodDefault<T[K]> };

/** Whether `kind` may carry `outcome`. */
export const kindAllows = (kind: LogKind, outcome: LogOutcome): boolean => OUTCOMES_BY_KIND[kind].includes(outcome);

type KindShape = { kind: LogKind; outcome: LogOutcome; decisionId: string | null };
const kindRules = (e: KindShape, ctx: z.RefinementCtx): void => {
  if (!kindAllows(e.kind, e.outcome)) {
    ctx.addIssue({
      code: 'custom',
      path: ['outcome'],
      message: `a ${e.kind} entry has outcome ${OUTCOMES_BY_KIND[e.kind].join(' or ')}, not ${e.outcome}`,
    });
  }
  // A delivery must point at the decision that authorised it, or the audit trail has a gap.
  if (e.kind === 'delivery' && e.decisionId === null) {
    ctx.addIssue({
      code: 'custom',
      path: ['decisionId'],
      message: 'a delivery entry needs the decisionId it was authorised by',
    });
  }
};

/** One stored log entry, with its place in its chain; parsed on every read. */
export const LogEntry = z
  .object({
    id: Ulid,
    at: EntryTime,
    seq: z.number().int().min(1),
    partition: z.number().int().min(0),
    ...required,
    ...nullable(optionalFields),
    ...listFields,
    prevHash: Hash,
    hash: Hash,
  })
  .strict()
  .superRefine(kindRules);
export type LogEntry = z.infer<typeof LogEntry>;

/** What callers append: the entry without its chain position; `id` and `at` are filled in when omitted. */
export const LogEntryInput = z
  .object({
    id: Ulid.optional(),
    at: EntryTime.optional(),
    ...required,
    ...nullDefault(optionalFields),
    ...emptyDefault(listFields),
  })
  .strict()
  .superRefine(kindRules);
export type LogEntryInput = z.input<typeof LogEntryInput>;
/** A validated input with every default applied. */
export type ParsedLogEntryInput = z.output<typeof LogEntryInput>;

/** Entry columns in their one fixed order: canonical form, CSV header and JSONL key order all follow it. */
export const LOG_COLUMNS = [
  'id',
  'at',
  'seq',
  'partition',
  'kind',
  'subjectRef',
  'campaignId',
  'campaignVersion',
  'workflowId',
  'runId',
  'stepId',
  'purpose',
  'channel',
  'processor',
  'outcome',
  'reasons',
  'consentEventId',
  'noticeVersion',
  'policyVersion',
  'fieldsRequested',
  'fieldsReleased',
  'fieldsWithheld',
  'templateId',
  'templateHash',
  'decisionId',
  'result',
  'smtpCode',
  'messageId',
  'jurisdiction',
  'transferTo',
  'transferMechanism',
  'transferMechanismKind',
  'transferValidFrom',
  'transferValidUntil',
  'transferConsentEventId',
  'prevHash',
  'hash',
] as const satisfies readonly (keyof LogEntry)[];

/** The columns added by canonical v2; a v1 entry reads them as null. */
export const V2_COLUMNS = [
  'jurisdiction',
  'transferTo',
  'transferMechanism',
  'transferMechanismKind',
  'transferValidFrom',
  'transferValidUntil',
  'transferConsentEventId',
] as const satisfies readonly LogColumn[];
export type LogColumn = (typeof LOG_COLUMNS)[number];
