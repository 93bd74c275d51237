import { type Campaign } from '../domain/campaign.js';
import type { SubjectRef } from '../domain/ids.js';
import { decideSend, type TemplatePort } from '../activities/send-pipeline.js';
import { evaluateSegmentPage, type SegmentPorts } from '../activities/segment-page.js';
import type { CompiledPolicy } from '../domain/policy.js';
import type { Segment } from '../domain/segment.js';
import { holdout } from '../domain/campaign.js';

/** One subject in a dry run: per send step, would it go out, with which fields, or why not. */
export interface DryRunSubject {
  readonly subjectRef: SubjectRef;
  readonly heldOut: boolean;
  readonly steps: ReadonlyArray<{ stepId: string; template: string; outcome: 'allow' | 'deny'; reasons: readonly string[]; fieldsReleased: readonly string[] }>;
}

/** The dry run's summary: who would get what, and totals by deny reason. */
export interface DryRunReport {
  readonly campaign: string;
  readonly segment: string;
  readonly scanned: number;
  readonly audience: number;
  readonly subjects: DryRunSubject[];
  readonly totals: { readonly wouldSend: number; readonly blocked: number; readonly heldOut: number; readonly byReason: Record<string, number> };
}

/**
 * Simulates a campaign against current consent and profiles: the real segment evaluation and the real guard, but
 * it sends nothing and writes nothing (no log entry, no ledger, no cap slot).
 */
export async function dryRun(ports: SegmentPorts, policy: CompiledPolicy, templates: TemplatePort, campaign: Campaign, segment: Segment, limit: number, nowMs = Date.now()): Promise<DryRunReport> {
  const sends = campaign.steps.flatMap((s) => (s.type === 'send' ? [s] : []));
  const subjects: DryRunSubject[] = [];
  const byReason: Record<string, number> = {};
  let cursor = '0';
  let scanned = 0;
  let audience = 0;
  do {
    const page = await evaluateSegmentPage(ports, policy, segment, campaign.purpose, cursor, 250, nowMs);
    cursor = page.cursor;
    scanned += page.scanned;
    const members = page.members.slice(0, Math.max(0, limit - subjects.length));
    audience += page.members.length;
    const states = await ports.loadGuardStates(members);
    members.forEach((ref, i) => {
      const heldOut = holdout(ref, campaign.id, campaign.options.holdoutPercent);
      const steps = sends.map((s) => {
        const d = decideSend(templates, policy, { campaignId: campaign.id, stepId: s.id, purpose: s.purpose ?? campaign.purpose, channel: s.channel, processor: s.processor, templateId: s.template }, ref, states[i]!, new Date(nowMs));
        const reasons = [...(d.decision.outcome === 'deny' ? d.decision.reasons : []), ...d.extraReasons];
        return { stepId: s.id, template: d.template?.id ?? s.template, outcome: reasons.length ? ('deny' as const) : ('allow' as const), reasons, fieldsReleased: reasons.length ? [] : [...d.decision.fieldsReleased] };
      });
      subjects.push({ subjectRef: ref, heldOut, steps });
    });
  } while (cursor !== '0' && subjects.length < limit);
  let wouldSend = 0;
  let blocked = 0;
  let heldOut = 0;
  for (const s of subjects) {
    if (s.heldOut) {
      heldOut++;
      continue;
    }
    const first = s.steps[0];
    if (first?.outcome === 'allow') wouldSend++;
    else {
      blocked++;
      for (const r of first?.reasons ?? []) byReason[r] = (byReason[r] ?? 0) + 1;
    }
  }
  return { campaign: campaign.id, segment: segment.id, scanned, audience, subjects, totals: { wouldSend, blocked, heldOut, byReason } };
}
