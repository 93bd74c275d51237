import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ConsentChange } from '../domain/consent-change.js';

export type { ConsentChange } from '../domain/consent-change.js';

/** An engagement event reported for the journey's subject (open, click, purchase). */
export interface Engagement {
  readonly v: 1;
  readonly event: 'opened' | 'clicked' | 'purchased';
}

/** One line of a journey's history, as its query shows it (no personal data). */
export interface JourneyStepRecord {
  readonly stepId: string;
  readonly type: string;
  readonly outcome: string;
  readonly reasons?: readonly string[];
  readonly at: string;
}

/** A journey's state for `journeyState`. */
export interface JourneyState {
  readonly status: 'running' | 'completed' | 'exited' | 'holdout';
  readonly currentStep: string | null;
  readonly exitReason?: string;
  readonly history: readonly JourneyStepRecord[];
  /** Present while the journey is paused (`campaign pause`, or the monitor). */
  readonly paused?: boolean;
}

/** Progress of a campaign run (`broadcast` workflow), for the live query; the accounting itself is the ledger's. */
export interface CampaignProgress {
  readonly status: 'running' | 'paused' | 'cancelled' | 'completed';
  /** audience: fixing the audience; pages: going through it; deferred: retrying deferred recipients; done. */
  readonly phase: 'audience' | 'pages' | 'deferred' | 'done';
  readonly pages: number;
  readonly audienceSize: number;
  /** Members handled by pages so far (each counted once per page attempt that returned). */
  readonly handled: number;
  /** Batch outcomes seen by the workflow (sent, denied, held_out, deferred, enrolled, ...). */
  readonly counts: Readonly<Record<string, number>>;
  /** Set when the run is done, from the ledger: each terminal outcome's count, and members without one. */
  readonly outcomes?: Readonly<Record<string, number>>;
  readonly unaccounted?: number;
}

export const consentChangedSignal = defineSignal<[ConsentChange]>('consentChanged');
export const engagementSignal = defineSignal<[Engagement]>('engagement');
export const journeyStateQuery = defineQuery<JourneyState>('journeyState');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const cancelSignal = defineSignal('cancel');
export const progressQuery = defineQuery<CampaignProgress>('progress');
