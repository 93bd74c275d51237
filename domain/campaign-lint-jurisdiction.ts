import type { Campaign, SendStep } from './campaign.js';
import type { JurisdictionRule, QuietHours } from './jurisdiction.js';
import type { CompiledPolicy } from './policy.js';
import { transferBlocker } from './policy-check-jurisdiction.js';
import type { Segment } from './segment.js';

/** A jurisdiction finding: a send step that can never pass, or can land in quiet hours, for a targeted jurisdiction. */
export interface JurisdictionLintProblem {
  readonly code:
    | 'jurisdiction_not_offered'
    | 'legal_basis_not_permitted'
    | 'cross_border_transfer_not_permitted'
    | 'cross_border_consent_unavailable'
    | 'quiet_hours_unguarded';
  readonly step: string;
  readonly message: string;
}

const minutes = (t: string): number => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

/** Whether minute `m` of the day falls in [start, end), wrapping midnight when end is before start. */
function inRange(m: number, start: number, end: number): boolean {
  return start <= end ? m >= start && m < end : m >= start || m < end;
}

/** Whether a send window (end exclusive) overlaps quiet hours; compared as clock times in the subject's zone. */
function overlaps(window: { start: string; end: string }, quiet: QuietHours): boolean {
  const [ws, we, qs, qe] = [minutes(window.start), minutes(window.end), minutes(quiet.start), minutes(quiet.end)];
  for (let m = ws; m !== we; m = (m + 1) % 1440) if (inRange(m, qs, qe)) return true;
  return false;
}

/** The jurisdictions a campaign's audience may hold: the segment's declaration, else the purpose's, else every rule. */
export function targetedJurisdictions(
  campaign: Campaign,
  segment: Segment | undefined,
  policy: CompiledPolicy,
): readonly JurisdictionRule[] {
  const rules = policy.bundle.jurisdictions;
  const declared = segment?.jurisdictions ?? policy.purposes.get(campaign.purpose)?.purpose.jurisdictions;
  return declared === undefined ? rules : rules.filter((r) => declared.includes(r.code));
}

/** Checks one send step against each targeted jurisdiction's rules; `previous` is the step before it, if any. */
export function jurisdictionProblems(
  step: SendStep,
  purposeId: string,
  previous: Campaign['steps'][number] | undefined,
  targets: readonly JurisdictionRule[],
  policy: CompiledPolicy,
): JurisdictionLintProblem[] {
  const out: JurisdictionLintProblem[] = [];
  const cp = policy.purposes.get(purposeId);
  const proc = policy.processors.get(step.processor);
  if (cp === undefined) return out;
  for (const r of targets) {
    const never = `can never send to ${r.code} subjects`;
    if (cp.purpose.jurisdictions !== undefined && !cp.purpose.jurisdictions.includes(r.code)) {
      out.push({
        code: 'jurisdiction_not_offered',
        step: step.id,
        message: `${never}: purpose "${purposeId}" is offered only in ${cp.purpose.jurisdictions.join(', ')}; declare the segment's jurisdictions without ${r.code}`,
      });
      continue;
    }
    if (!r.marketingBases.includes(cp.purpose.legalBasis)) {
      out.push({
        code: 'legal_basis_not_permitted',
        step: step.id,
        message: `${never}: ${r.code} allows marketing only on ${r.marketingBases.join(', ')}, not ${cp.purpose.legalBasis}`,
      });
    }
    const blocker =
      proc === undefined
        ? undefined
        : transferBlocker(r, policy.bundle.jurisdictions, proc.processor, policy.bundle.purposes, step.channel);
    if (blocker === 'cross_border_transfer_not_permitted') {
      out.push({
        code: blocker,
        step: step.id,
        message: `${never}: processor "${step.processor}" (${proc!.processor.region}) has no transfer mechanism for data from ${r.code}; record one in policy/processors.ts or use a processor in ${r.code}`,
      });
    } else if (blocker === 'cross_border_consent_unavailable') {
      out.push({
        code: blocker,
        step: step.id,
        message: `${never}: no purpose records the separate consent to transfers to "${step.processor}" (transferTo) on ${step.channel}`,
      });
    }
    const quiet = r.quietHours[step.channel];
    if (quiet !== undefined && (previous?.type !== 'waitUntil' || overlaps(previous.window, quiet))) {
      out.push({
        code: 'quiet_hours_unguarded',
        step: step.id,
        message: `may send during ${r.code} quiet hours for ${step.channel} (${quiet.start}-${quiet.end} ${quiet.timezone}); put a waitUntil step with a window outside them right before it`,
      });
    }
  }
  return out;
}
