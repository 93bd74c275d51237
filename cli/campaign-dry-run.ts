import { parseDuration, type Campaign } from '../domain/campaign.js';
import type { SubjectRef } from '../domain/ids.js';
import {
  simulateSubject,
  simulationFields,
  type SimulationContext,
  type SubjectSimulation,
} from '../domain/journey-simulation.js';
import type { CompiledPolicy } from '../domain/policy.js';
import type { Segment } from '../domain/segment.js';
import { evaluateSegmentPage, readPage, type SegmentPorts } from '../domain/segment-page.js';
import type { TemplateFacet } from '../domain/send-decision.js';

/** The reads a dry run needs: the segment's, plus how many cap slots each subject already uses. */
export interface DryRunPorts extends SegmentPorts {
  readonly capUsed: (
    refs: readonly SubjectRef[],
    channel: string,
    windowMs: number,
    nowMs: number,
  ) => Promise<number[]>;
}

/** Per send step: how many would get it, and how many would be blocked, by reason. */
export interface StepTotals {
  wouldSend: number;
  blocked: number;
  byReason: Record<string, number>;
}

/** The dry run's report: the whole audience totalled; `subjects` lists at most `limit` of them. */
export interface DryRunReport {
  readonly campaign: string;
  readonly segment: string;
  readonly scanned: number;
  readonly audience: number;
  readonly subjects: SubjectSimulation[];
  readonly totals: {
    readonly messages: number;
    readonly reached: number;
    readonly heldOut: number;
    readonly reachedNone: number;
    readonly byReason: Record<string, number>;
    readonly steps: Record<string, StepTotals>;
  };
}

function tally(
  report: DryRunReport['totals'] & { messages: number; reached: number; heldOut: number; reachedNone: number },
  sim: SubjectSimulation,
): void {
  if (sim.heldOut) {
    report.heldOut++;
    return;
  }
  let sent = 0;
  for (const st of sim.steps) {
    if (st.kind !== 'send') continue;
    const t = (report.steps[st.stepId] ??= { wouldSend: 0, blocked: 0, byReason: {} });
    if (st.outcome === 'allow') {
      t.wouldSend++;
      sent++;
      continue;
    }
    t.blocked++;
    for (const r of st.reasons) {
      t.byReason[r] = (t.byReason[r] ?? 0) + 1;
      report.byReason[r] = (report.byReason[r] ?? 0) + 1;
    }
  }
  report.messages += sent;
  if (sent > 0) report.reached++;
  else report.reachedNone++;
}

/**
 * Simulates a campaign over its whole segment against current consent, profiles and cap windows: the real segment
 * evaluation and the real guard through the shared simulation, but it sends nothing and writes nothing.
 */
export async function dryRun(
  ports: DryRunPorts,
  policy: CompiledPolicy,
  templates: (id: string) => TemplateFacet | undefined,
  campaign: Campaign,
  segment: Segment,
  limit: number,
  now = new Date(),
): Promise<DryRunReport> {
  const ctx: SimulationContext = { campaign, policy, templates, now };
  const fields = simulationFields(ctx);
  const cap = campaign.options.frequencyCap;
  const capMs = cap ? parseDuration(cap.per) : 0;
  const totals = { messages: 0, reached: 0, heldOut: 0, reachedNone: 0, byReason: {}, steps: {} };
  const subjects: SubjectSimulation[] = [];
  let cursor = '0';
  let scanned = 0;
  let audience = 0;
  do {
    const page = await evaluateSegmentPage(ports, policy, segment, campaign.purpose, cursor, 250, now.getTime());
    cursor = page.cursor;
    scanned += page.scanned;
    audience += page.members.length;
    const [states, used, profiles] = await Promise.all([
      ports.loadGuardStates(page.members),
      cap ? ports.capUsed(page.members, cap.channel, capMs, now.getTime()) : Promise.resolve(page.members.map(() => 0)),
      readPage(ports, page.members, fields),
    ]);
    page.members.forEach((ref, i) => {
      const p = profiles[i]!;
      const sim = simulateSubject(ctx, {
        ref,
        state: states[i]!,
        profile: p.status === 'found' ? p.fields : {},
        capUsed: used[i]!,
      });
      tally(totals, sim);
      if (subjects.length < limit) subjects.push(sim);
    });
  } while (cursor !== '0');
  return { campaign: campaign.id, segment: segment.id, scanned, audience, subjects, totals };
}

/** The human rendering: the listed subjects step by step, then totals over the whole audience. */
export function humanDryRun(r: DryRunReport): string {
  const lines = [
    `dry run of ${r.campaign} on segment ${r.segment}: audience ${r.audience} of ${r.scanned} scanned, ${r.subjects.length} shown; nothing sent, nothing logged`,
  ];
  for (const s of r.subjects) {
    lines.push(`  ${s.subjectRef}${s.heldOut ? '  (holdout: gets nothing)' : ''}`);
    for (const st of s.steps) {
      if (st.kind === 'branch')
        lines.push(
          `    ${st.stepId.padEnd(24)} → ${st.target} (${st.took}${st.assumed ? `, assuming ${st.assumed}` : ''})`,
        );
      else
        lines.push(
          `    ${st.stepId.padEnd(24)} ${st.outcome === 'allow' ? `SEND ${st.template} with ${st.fieldsReleased.join(', ')}` : `BLOCKED ${st.reasons.join(', ')}`}`,
        );
    }
  }
  const t = r.totals;
  lines.push(
    `totals over all ${r.audience}: would send ${t.messages} message(s) to ${t.reached} subject(s); ${t.reachedNone} get nothing; ${t.heldOut} held out`,
  );
  for (const [step, st] of Object.entries(t.steps))
    lines.push(
      `  ${step.padEnd(24)} send ${st.wouldSend}, blocked ${st.blocked}${
        Object.keys(st.byReason).length
          ? ` (${Object.entries(st.byReason)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ')})`
          : ''
      }`,
    );
  return lines.join('\n');
}
