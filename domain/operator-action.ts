import type { LogEntryInput } from './decision-log.js';
import type { SubjectRef } from './ids.js';

/** The pseudonymous "subject" of operator actions: they concern the system, never a person. */
export const OPERATOR_SUBJECT_REF = 'sr_system_operator_000000' as SubjectRef;

/** A key rotation as the decision log records it: which secret, from which key id to which, and who did it. */
export interface KeyRotation {
  readonly kind: string;
  readonly fromKeyId: string;
  readonly toKeyId: string;
  readonly actor: string;
  readonly at: Date;
  /** What the rotation did besides switching keys, e.g. `rewrapped=120` for the master key. */
  readonly detail?: string;
}

/** The decision-log entry of a key rotation (key ids only, never key material). */
export function keyRotationEntry(r: KeyRotation): LogEntryInput {
  return {
    subjectRef: OPERATOR_SUBJECT_REF,
    kind: 'operator',
    outcome: 'recorded',
    stepId: 'key_rotation',
    result: `rotated=${r.kind} from=${r.fromKeyId} to=${r.toKeyId} actor=${r.actor}${r.detail ? ` ${r.detail}` : ''}`.slice(0, 256),
    reasons: ['key_rotated'],
    at: r.at.toISOString(),
  };
}

/** A replay of logged decisions as the decision log records it: what was replayed, what it found, and who ran it. */
export interface DecisionReplay {
  /** `entry=ID` or `since=…,until=…`. */
  readonly scope: string;
  readonly replayed: number;
  readonly mismatched: number;
  readonly actor: string;
  readonly at: Date;
}

/** The decision-log entry of a decision replay (counts only; the mismatching entries are in the replay's own report). */
export function decisionReplayEntry(r: DecisionReplay): LogEntryInput {
  return {
    subjectRef: OPERATOR_SUBJECT_REF,
    kind: 'operator',
    outcome: 'recorded',
    stepId: 'decision_replay',
    result: `replayed=${r.replayed} mismatched=${r.mismatched} ${r.scope} actor=${r.actor}`.slice(0, 256),
    reasons: [r.mismatched > 0 ? 'replay_mismatch' : 'replay_clean'],
    at: r.at.toISOString(),
  };
}
