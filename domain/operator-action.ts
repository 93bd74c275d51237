import { z } from 'zod';
import type { LogEntry, LogEntryInput } from './decision-log.js';
import type { SubjectRef } from './ids.js';

/** The pseudonymous "subject" of operator actions that concern the system, never a person. */
export const OPERATOR_SUBJECT_REF = 'sr_system_operator_000000' as SubjectRef;

/** Every operator action the log records; the code is the entry's stepId and its one reason. */
export const OperatorAction = {
  campaign_deployed: 'campaign_deployed',
  campaign_started: 'campaign_started',
  campaign_paused: 'campaign_paused',
  campaign_resumed: 'campaign_resumed',
  campaign_cancelled: 'campaign_cancelled',
  consent_recorded_by_staff: 'consent_recorded_by_staff',
  consent_imported: 'consent_imported',
  suppression_lifted: 'suppression_lifted',
  dsr_received: 'dsr_received',
  dsr_outcome_read: 'dsr_outcome_read',
  dsr_bundle_delivered: 'dsr_bundle_delivered',
  policy_deployed: 'policy_deployed',
  log_queried: 'log_queried',
  log_exported: 'log_exported',
  log_verified: 'log_verified',
  log_replayed: 'log_replayed',
  review_run: 'review_run',
  report_read: 'report_read',
  profile_read: 'profile_read',
  key_rotated: 'key_rotated',
  /** The monitor (actor `monitor`) paused a campaign whose window crossed a threshold. */
  campaign_paused_by_monitor: 'campaign_paused_by_monitor',
  /** An alert was raised (actor `monitor`): a pause, a failed review, a chain break, an overdue request, an outage. */
  alert_raised: 'alert_raised',
} as const;
export type OperatorAction = (typeof OperatorAction)[keyof typeof OperatorAction];

/** Who acted: an API key name or a CLI `--actor`; a name, never an address, so the log stays free of personal data. */
export const Actor = z
  .string()
  .regex(
    /^[A-Za-z0-9._-]{1,64}$/,
    'must be 1-64 of A-Z a-z 0-9 . _ - (a name such as ops-alice, not an email address)',
  );

// The log is kept for years and verified by people who need no personal data: a reason names a ticket or a cause.
const EMAIL_LIKE = /[^\s@]+@[^\s@]+/;
/** Why the operator acted: one line of at most 120 characters, no email addresses, no quotes. */
export const Reason = z
  .string()
  .min(3, 'must say why in at least 3 characters')
  .max(120, 'must be at most 120 characters; name a ticket instead of pasting it')
  .regex(/^[^\p{Cc}"]+$/u, 'must be one line without double quotes')
  .refine(
    (s) => !EMAIL_LIKE.test(s),
    'must not contain an email address: the log keeps no personal data (name the subject by --ref)',
  );

/** One operator action as the log records it. */
export interface OperatorActionInput {
  readonly action: OperatorAction;
  readonly actor: string;
  readonly at: Date;
  readonly reason?: string;
  /** The subject concerned, by pseudonym; the system subject otherwise. */
  readonly subjectRef?: SubjectRef;
  readonly campaignId?: string;
  readonly purpose?: string;
  readonly channel?: string;
  /** Key=value facts the action adds (counts, ids, filters), never personal data. */
  readonly detail?: string;
}

const RESULT_MAX = 256;

/** The decision-log entry of any operator action: actor and reason lead `result`, so truncation never drops them. */
export function operatorEntry(a: OperatorActionInput): LogEntryInput {
  const head = `actor=${a.actor}${a.reason ? ` reason="${a.reason}"` : ''}`;
  return {
    subjectRef: a.subjectRef ?? OPERATOR_SUBJECT_REF,
    kind: 'operator',
    outcome: 'recorded',
    stepId: a.action,
    campaignId: a.campaignId ?? null,
    purpose: a.purpose ?? null,
    channel: a.channel ?? null,
    result: (a.detail ? `${head} ${a.detail}` : head).slice(0, RESULT_MAX),
    reasons: [a.action],
    at: a.at.toISOString(),
  };
}

/** The actor of an operator entry; null for any other entry. */
export function actorOf(e: Pick<LogEntry, 'kind' | 'result'>): string | null {
  if (e.kind !== 'operator' || !e.result) return null;
  return /(?:^|\s)actor=([A-Za-z0-9._@-]+)/.exec(e.result)?.[1] ?? null;
}

// Key rotations written before this builder, and log-key handovers (whose exact text the verifier reads).
const KEY_ROTATION_STEPS: ReadonlySet<string> = new Set(['key_rotation', 'log_key_rotation']);

/** The action code of an operator entry. */
export function actionOf(e: Pick<LogEntry, 'kind' | 'stepId'>): string | null {
  if (e.kind !== 'operator') return null;
  return e.stepId !== null && KEY_ROTATION_STEPS.has(e.stepId) ? OperatorAction.key_rotated : e.stepId;
}

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
  const detail = `rotated=${r.kind} from=${r.fromKeyId} to=${r.toKeyId}${r.detail ? ` ${r.detail}` : ''}`;
  return operatorEntry({ action: OperatorAction.key_rotated, actor: r.actor, at: r.at, detail });
}
