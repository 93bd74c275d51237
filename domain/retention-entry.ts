import type { LogEntryInput } from './decision-log.js';
import type { SubjectRef } from './ids.js';
import { OPERATOR_SUBJECT_REF } from './operator-action.js';
import { RetentionClass } from './retention.js';

/** How much data one removal covers and how old it was, when the removal knows. */
export interface RemovedData {
  /** Items removed (log entries, consent events, ledger records); one when absent. */
  readonly n?: number;
  /** The oldest and newest time the removed data carried (ms). */
  readonly fromMs?: number;
  readonly toMs?: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The actor of retention entries: the scheduled run acts for the controller, not for a person. */
export const RETENTION_ACTOR = 'retention-schedule';

/** The decision-log entry of one retention action: what was removed, why, under which cut-off. */
export function retentionEntry(a: {
  readonly cls: RetentionClass;
  readonly what: string;
  readonly reason: string;
  readonly asOf: Date;
  readonly at: Date;
  readonly subjectRef?: SubjectRef;
  readonly data?: RemovedData;
}): LogEntryInput {
  const d = a.data;
  const facts =
    d === undefined
      ? ''
      : `${d.n === undefined ? '' : ` n=${d.n}`}${d.fromMs === undefined ? '' : ` from=${iso(d.fromMs)}`}${d.toMs === undefined ? '' : ` to=${iso(d.toMs)}`}`;
  return {
    subjectRef: a.subjectRef ?? OPERATOR_SUBJECT_REF,
    kind: 'operator',
    outcome: 'recorded',
    stepId: 'retention',
    // The actor leads, like every operator entry's, so the review's operator section attributes it.
    result:
      `actor=${RETENTION_ACTOR} removed=${a.cls} ${a.what}${facts} reason=${a.reason} as_of=${a.asOf.toISOString()}`.slice(
        0,
        256,
      ),
    reasons: ['retention_expired'],
    // The log's own time is the real clock (the chain refuses skewed entries); the cut-off date is in `result`.
    at: a.at.toISOString(),
  };
}

const ISO = '(\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z)';

/** What a retention entry's `result` says was removed; null for a result that is not one. */
export function removedDataOf(
  result: string | null | undefined,
): { readonly cls: RetentionClass; readonly n: number; readonly fromMs?: number; readonly toMs?: number } | null {
  const cls = /(?:^| )removed=([a-z_]+) /.exec(result ?? '')?.[1];
  if (cls === undefined || !Object.values(RetentionClass).includes(cls as RetentionClass)) return null;
  const n = /(?:^| )n=(\d+)(?: |$)/.exec(result!)?.[1];
  const from = new RegExp(` from=${ISO}`).exec(result!)?.[1];
  const to = new RegExp(` to=${ISO}`).exec(result!)?.[1];
  return {
    cls: cls as RetentionClass,
    n: n === undefined ? 1 : Number(n),
    ...(from === undefined ? {} : { fromMs: Date.parse(from) }),
    ...(to === undefined ? {} : { toMs: Date.parse(to) }),
  };
}
