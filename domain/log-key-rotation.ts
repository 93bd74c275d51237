import { type LogEntry, type LogEntryInput } from './decision-log.js';
import { OPERATOR_SUBJECT_REF } from './operator-action.js';

/** The stepId that marks a decision-log key handover; the verifier switches keys at such an entry. */
export const LOG_KEY_ROTATION_STEP = 'log_key_rotation';

/** A log-key handover as one chain records it: key ids, a commitment to the new key, and who rotated. */
export interface LogKeyHandover {
  readonly fromKeyId: string;
  readonly toKeyId: string;
  /** SHA-256 commitment to the new key (hex), so the old key's MAC binds the key itself, not only its id. */
  readonly commitment: string;
  readonly actor: string;
}

const RESULT =
  /^rotated=log from=([A-Za-z0-9._-]{1,64}) to=([A-Za-z0-9._-]{1,64}) commit=([0-9a-f]{64}) actor=([A-Za-z0-9._@-]{1,64})$/;

/** The operator entry of a handover, in the shape of every other key rotation (key ids only, never key material). */
export function logKeyRotationEntry(h: LogKeyHandover, at: Date): LogEntryInput {
  const result = `rotated=log from=${h.fromKeyId} to=${h.toKeyId} commit=${h.commitment} actor=${h.actor}`;
  // Truncating would drop the actor or the commitment, which the verifier needs whole.
  if (!RESULT.test(result) || result.length > 256)
    throw new RangeError(
      `log key rotation ${h.fromKeyId} → ${h.toKeyId} does not fit an entry; key ids and actor must be short`,
    );
  return {
    subjectRef: OPERATOR_SUBJECT_REF,
    kind: 'operator',
    outcome: 'recorded',
    stepId: LOG_KEY_ROTATION_STEP,
    result,
    reasons: ['key_rotated'],
    at: at.toISOString(),
  };
}

/** The handover an entry records, or null when it is not a log-key rotation entry. */
export function logKeyHandoverOf(e: LogEntry): LogKeyHandover | null {
  if (e.kind !== 'operator' || e.stepId !== LOG_KEY_ROTATION_STEP || e.subjectRef !== OPERATOR_SUBJECT_REF) return null;
  const m = RESULT.exec(e.result ?? '');
  return m ? { fromKeyId: m[1]!, toKeyId: m[2]!, commitment: m[3]!, actor: m[4]! } : null;
}
