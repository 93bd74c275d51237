import {
  ENTRY_RULES as R,
  EntryTime,
  kindAllows,
  type LogEntryInput,
  LogKind,
  LogOutcome,
  TransferTime,
} from './decision-log.js';
import type { CheckedEntryInput } from './decision-log-stamp.js';
import { SUBJECT_REF_PATTERN } from './ids.js';

type Check = (v: unknown) => boolean;

// The exact patterns the date-time schemas test, taken from them so the two cannot drift apart.
const patternOf = (s: typeof EntryTime | typeof TransferTime): RegExp => {
  const p = s._zod.def.pattern;
  if (!p) throw new Error('the decision log date-time schema has no pattern to check against');
  return p;
};
const AT = patternOf(EntryTime);
const TRANSFER_TIME = patternOf(TransferTime);
const KINDS = new Set<unknown>(Object.values(LogKind));
const OUTCOMES = new Set<unknown>(Object.values(LogOutcome));

const text = (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= R.textMax;
const code = (v: unknown): boolean => typeof v === 'string' && v.length <= R.codeMax && R.code.test(v);
const fieldName = (v: unknown): boolean => typeof v === 'string' && v.length <= R.fieldNameMax && R.fieldName.test(v);
const matches =
  (re: RegExp): Check =>
  (v) =>
    typeof v === 'string' && re.test(v);
const list =
  (item: Check, max: number): Check =>
  (v) => {
    if (v === undefined) return true;
    if (!Array.isArray(v) || v.length > max) return false;
    for (let i = 0; i < v.length; i++) if (!item(v[i])) return false;
    return true;
  };
const ulid = matches(R.ulid);
const at = matches(AT);
const transferTime = matches(TRANSFER_TIME);
const smtpCode = (v: unknown): boolean =>
  Number.isInteger(v) && (v as number) >= R.smtpCodeMin && (v as number) <= R.smtpCodeMax;
// Absent and null both become null; the schema's `nullable().default(null)`.
const orNull =
  (c: Check): Check =>
  (v) =>
    v === undefined || v === null || c(v);

/**
 * Per column of LogEntryInput, what it accepts. Typed against the schema's shape, so a column added there fails to
 * compile until it is checked here too.
 */
const CHECKS: Record<keyof typeof LogEntryInput.shape, Check> = {
  id: (v) => v === undefined || ulid(v),
  at: (v) => v === undefined || at(v),
  subjectRef: matches(SUBJECT_REF_PATTERN),
  kind: (v) => KINDS.has(v),
  outcome: (v) => OUTCOMES.has(v),
  campaignId: orNull(text),
  campaignVersion: orNull(text),
  workflowId: orNull(text),
  runId: orNull(text),
  stepId: orNull(text),
  purpose: orNull(text),
  channel: orNull(text),
  processor: orNull(text),
  consentEventId: orNull(text),
  noticeVersion: orNull(text),
  policyVersion: orNull(text),
  templateId: orNull(text),
  templateHash: orNull(text),
  decisionId: orNull(ulid),
  result: orNull(text),
  smtpCode: orNull(smtpCode),
  messageId: orNull(text),
  jurisdiction: orNull(text),
  transferTo: orNull(text),
  transferMechanism: orNull(text),
  transferMechanismKind: orNull(code),
  transferValidFrom: orNull(transferTime),
  transferValidUntil: orNull(transferTime),
  transferConsentEventId: orNull(text),
  reasons: list(code, R.reasonsMax),
  fieldsRequested: list(fieldName, R.fieldsMax),
  fieldsReleased: list(fieldName, R.fieldsMax),
  fieldsWithheld: list(fieldName, R.fieldsMax),
};
const KNOWN = new Set<string>(Object.keys(CHECKS));
const C = CHECKS;

/**
 * True only for inputs LogEntryInput accepts, checked without building its output, so appending a valid entry
 * costs a few regex tests instead of a schema parse. An input this refuses goes through LogEntryInput, which
 * decides and words the error; a property test holds the two to the same verdict. Lengths are UTF-16 units, never
 * fewer than the code points the schema counts, so a text over its limit in units is left to the schema.
 */
export function isValidEntryInput(x: unknown): x is CheckedEntryInput {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const o = x as Record<string, unknown>;
  // Unknown keys are refused (the schema is strict), found the way the schema finds them.
  for (const k in o) if (!KNOWN.has(k)) return false;
  // Every column by name rather than a loop of computed keys: the check runs for each appended entry, and named
  // reads and calls cost a third as much. A test holds this list to the schema's columns.
  return (
    C.id(o.id) &&
    C.at(o.at) &&
    C.subjectRef(o.subjectRef) &&
    C.kind(o.kind) &&
    C.outcome(o.outcome) &&
    C.campaignId(o.campaignId) &&
    C.campaignVersion(o.campaignVersion) &&
    C.workflowId(o.workflowId) &&
    C.runId(o.runId) &&
    C.stepId(o.stepId) &&
    C.purpose(o.purpose) &&
    C.channel(o.channel) &&
    C.processor(o.processor) &&
    C.consentEventId(o.consentEventId) &&
    C.noticeVersion(o.noticeVersion) &&
    C.policyVersion(o.policyVersion) &&
    C.templateId(o.templateId) &&
    C.templateHash(o.templateHash) &&
    C.decisionId(o.decisionId) &&
    C.result(o.result) &&
    C.smtpCode(o.smtpCode) &&
    C.messageId(o.messageId) &&
    C.jurisdiction(o.jurisdiction) &&
    C.transferTo(o.transferTo) &&
    C.transferMechanism(o.transferMechanism) &&
    C.transferMechanismKind(o.transferMechanismKind) &&
    C.transferValidFrom(o.transferValidFrom) &&
    C.transferValidUntil(o.transferValidUntil) &&
    C.transferConsentEventId(o.transferConsentEventId) &&
    C.reasons(o.reasons) &&
    C.fieldsRequested(o.fieldsRequested) &&
    C.fieldsReleased(o.fieldsReleased) &&
    C.fieldsWithheld(o.fieldsWithheld) &&
    kindAllows(o.kind as LogKind, o.outcome as LogOutcome) &&
    !(o.kind === 'delivery' && (o.decisionId === undefined || o.decisionId === null))
  );
}
