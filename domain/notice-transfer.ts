import type { GuardState } from './consent-state.js';
import { judgeTransfer, mayBeMinor, type TransferRecord } from './guard-jurisdiction.js';
import { type CompiledPolicy, jurisdictionOf } from './policy.js';
import type { PropagationKind } from './propagation.js';
import { ReasonCode } from './reasons.js';

/** The step id of decision entries that judge a processor notice (a correction moved to a processor), not a send. */
export const PROCESSOR_NOTICE_STEP = 'processor_notice';

/**
 * Which processor notices move personal data: only a correction that carries new values. A withdrawal, suppression
 * or erasure notice names the subject by a keyed hash of an address the processor already holds and adds nothing
 * new, so it is no transfer and is never withheld (holding it back would keep the processor using the data).
 */
export const noticeIsTransfer = (kind: PropagationKind, corrected: readonly string[]): boolean =>
  kind === 'corrected' && corrected.length > 0;

/** The answer for one notice that moves data: allow, or deny with the reasons; plus what the log records. */
export interface NoticeVerdict {
  readonly outcome: 'allow' | 'deny';
  readonly reasons: readonly ReasonCode[];
  /** The jurisdiction rule the verdict rests on: the first that denies, else the first the data leaves. */
  readonly jurisdiction: string;
  readonly transfer: TransferRecord | null;
}

/**
 * Judges a correction notice to a processor as the guard judges a send's move abroad (PIPL 38-39): for every
 * jurisdiction the subject's recorded answers name (none known: the strictest rule, fail closed), a mechanism in
 * force and, where the rule asks, a live separate consent to that recipient on any channel.
 */
export function judgeNotice(processorId: string, state: GuardState, policy: CompiledPolicy, now: Date): NoticeVerdict {
  const proc = policy.processors.get(processorId);
  if (state.loadError !== undefined)
    return { outcome: 'deny', reasons: [ReasonCode.state_unavailable], jurisdiction: 'unknown', transfer: null };
  if (proc === undefined)
    return { outcome: 'deny', reasons: [ReasonCode.processor_unknown], jurisdiction: 'unknown', transfer: null };
  const codes = [...new Set(Object.values(state.consent).map((e) => e.jurisdiction))];
  const nowMs = now.getTime();
  let chosen: NoticeVerdict | undefined;
  for (const code of codes.length > 0 ? codes : ['unknown']) {
    const j = jurisdictionOf(policy, code);
    const reasons: ReasonCode[] = [];
    const transfer = judgeTransfer(proc, j, undefined, state, policy, nowMs, mayBeMinor(state, j, nowMs), reasons);
    const v: NoticeVerdict = {
      outcome: reasons.length ? 'deny' : 'allow',
      reasons,
      jurisdiction: j.known ? j.code : code,
      transfer,
    };
    if (v.outcome === 'deny') return v;
    if (chosen === undefined || (chosen.transfer === null && transfer !== null)) chosen = v;
  }
  return chosen!;
}
