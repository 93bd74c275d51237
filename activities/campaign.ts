import { ApplicationFailure, Context } from '@temporalio/activity';
import { holdout, type BranchCondition, type Campaign } from '../domain/campaign.js';
import type { SubjectRef } from '../domain/ids.js';
import type { Segment } from '../domain/segment.js';
import { mapWindowed } from './concurrency.js';
import { evaluateSegmentPage, fieldsOutsidePurpose, SegmentFieldNotAllowedError } from './segment-page.js';
import { runGuardedSends, type SendOutcome, type SendPipelineDeps, type SendSpec } from './send-pipeline.js';
import { evaluateCondition, msUntilWindow } from './conditions.js';
import type { JourneyInput } from '../workflows/journey.js';

/** What campaign activities need beyond the send path. */
export interface CampaignActivityDeps extends SendPipelineDeps {
  readonly pageSubjects: (cursor: string, count: number) => Promise<{ readonly cursor: string; readonly refs: readonly SubjectRef[] }>;
  readonly segments: Readonly<Record<string, Segment>>;
  readonly startJourney: (workflowId: string, input: JourneyInput) => Promise<'started' | 'exists'>;
}

/** Counts a chunk contributes to campaign progress. */
export interface ChunkCounts {
  scanned: number;
  enrolled: number;
  heldOut: number;
  sent: number;
  failed: number;
  duplicate: number;
  denied: Record<string, number>;
}

/** Journey starts in flight at once during enrolment. */
const ENROL_WINDOW = 32;

const newCounts = (): ChunkCounts => ({ scanned: 0, enrolled: 0, heldOut: 0, sent: 0, failed: 0, duplicate: 0, denied: {} });

/** The deterministic workflow id of a subject's journey: enrolling twice is a no-op. */
export const journeyWorkflowId = (campaignId: string, ref: string): string => `journey:${campaignId}:${ref}`;

function requireAllowed(deps: CampaignActivityDeps, purpose: string, fields: readonly string[], what: string): void {
  const bad = fieldsOutsidePurpose(deps.policy(), purpose, fields);
  if (bad.length) throw ApplicationFailure.create({ type: 'FieldNotAllowedFailure', nonRetryable: true, message: `${what} reads ${bad.join(', ')}, which purpose ${purpose} does not allow` });
}

function tally(counts: ChunkCounts, outcomes: readonly SendOutcome[]): Record<string, number> {
  const stats: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.status === 'sent' || o.status === 'failed' || o.status === 'duplicate') counts[o.status]++;
    if (o.status === 'denied') for (const r of o.reasons.length ? o.reasons : ['unspecified']) counts.denied[r] = (counts.denied[r] ?? 0) + 1;
    if (o.status === 'duplicate' || o.status === 'retry') continue;
    const key = o.status === 'denied' ? `denied:${o.reasons[0] ?? 'unspecified'}` : o.status;
    stats[key] = (stats[key] ?? 0) + 1;
  }
  return stats;
}

function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // outside an activity (unit use)
  }
}

/** Campaign activities: guarded sends, paged segment evaluation, enrolment, quiet hours and branch conditions. */
export function createCampaignActivities(deps: CampaignActivityDeps) {
  async function segmentPage(segmentId: string, purpose: string, cursor: string, count: number) {
    const segment = deps.segments[segmentId];
    if (!segment) throw ApplicationFailure.create({ type: 'SegmentUnknownFailure', nonRetryable: true, message: `segment ${segmentId} does not exist` });
    try {
      return await evaluateSegmentPage(deps, deps.policy(), segment, purpose, cursor, count);
    } catch (e) {
      if (e instanceof SegmentFieldNotAllowedError) throw ApplicationFailure.create({ type: 'FieldNotAllowedFailure', nonRetryable: true, message: e.message });
      throw e;
    }
  }

  return {
    /** One journey send step for one subject; a denial is a normal result, a transient SMTP failure retries. */
    async sendStep(input: { spec: SendSpec; subjectRef: string }): Promise<SendOutcome> {
      const [out] = await runGuardedSends(deps, input.spec, [input.subjectRef as SubjectRef], heartbeat);
      await deps.ledger.count(input.spec.campaignId, tally(newCounts(), [out!]));
      if (out!.status === 'retry') throw ApplicationFailure.retryable(`delivery deferred (${out!.reasons.join(', ')}); retrying`, 'TransientSendFailure');
      return out!;
    },

    /** One page of a one-shot broadcast: evaluate the segment, then guard, log and send each member. */
    async sendBroadcastChunk(input: { spec: SendSpec; segmentId: string; holdoutPercent: number; cursor: string; count: number }): Promise<{ cursor: string; counts: ChunkCounts }> {
      const counts = newCounts();
      const page = await segmentPage(input.segmentId, input.spec.purpose, input.cursor, input.count);
      counts.scanned = page.scanned;
      const members = page.members.filter((ref) => !holdout(ref, input.spec.campaignId, input.holdoutPercent));
      counts.heldOut = page.members.length - members.length;
      const outcomes = await runGuardedSends(deps, input.spec, members, heartbeat);
      await deps.ledger.count(input.spec.campaignId, tally(counts, outcomes));
      const retry = outcomes.filter((o) => o.status === 'retry').length;
      // Sent members are committed in the ledger, so the retried chunk only re-attempts the deferred ones.
      if (retry) throw ApplicationFailure.retryable(`${retry} deliveries deferred by the SMTP server; retrying the chunk`, 'TransientSendFailure');
      return { cursor: page.cursor, counts };
    },

    /** One page of a journey campaign: start a journey per member (deterministic ids de-duplicate). */
    async enrolJourneys(input: { campaign: Campaign; campaignVersion: string; cursor: string; count: number; timeScale: number }): Promise<{ cursor: string; counts: ChunkCounts }> {
      const counts = newCounts();
      const page = await segmentPage(input.campaign.audience.segment, input.campaign.purpose, input.cursor, input.count);
      counts.scanned = page.scanned;
      const enrol = page.members.filter((ref) => !holdout(ref, input.campaign.id, input.campaign.options.holdoutPercent));
      counts.heldOut = page.members.length - enrol.length;
      // A sliding window of journey starts: the deterministic ids make a repeat of this page a no-op.
      const started = await mapWindowed(enrol, ENROL_WINDOW, (ref) =>
        deps.startJourney(journeyWorkflowId(input.campaign.id, ref), { v: 1, campaign: input.campaign, campaignVersion: input.campaignVersion, subjectRef: ref, timeScale: input.timeScale }),
      );
      counts.enrolled = started.filter((r) => r === 'started').length;
      counts.duplicate = started.length - counts.enrolled;
      heartbeat();
      return { cursor: page.cursor, counts };
    },

    /** Milliseconds until the subject's local time enters the window (0 when inside); reads only the timezone field. */
    async quietHoursDelay(input: { subjectRef: string; purpose: string; timezoneField: string; window: { start: string; end: string }; nowMs: number }): Promise<number> {
      requireAllowed(deps, input.purpose, [input.timezoneField], 'quiet hours');
      const r = await deps.readFields(input.subjectRef as SubjectRef, [input.timezoneField]);
      const tz = r.status === 'found' ? r.fields[input.timezoneField] : undefined;
      return msUntilWindow(input.nowMs, tz, input.window);
    },

    /** Evaluates a field branch condition; only the boolean goes back into workflow history. */
    async evaluateFieldCondition(input: { subjectRef: string; purpose: string; condition: Extract<BranchCondition, { kind: 'field' }> }): Promise<boolean> {
      requireAllowed(deps, input.purpose, [input.condition.field], `branch on ${input.condition.field}`);
      const r = await deps.readFields(input.subjectRef as SubjectRef, [input.condition.field]);
      return evaluateCondition(input.condition, r.status === 'found' ? r.fields[input.condition.field] : undefined);
    },
  };
}
