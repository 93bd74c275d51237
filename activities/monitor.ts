import { z } from 'zod';
import { ApplicationFailure } from '@temporalio/activity';
import { ulid } from 'ulid';
import type { AlertInput } from '../domain/alert.js';
import { monitorPauseEntry, monitorPauseText } from '../domain/monitor-entry.js';
import type { AllowGroup, CounterTotals } from '../domain/monitor-counters.js';
import type { Crossing, WindowCounts } from '../domain/monitor-window.js';
import type { CompiledPolicy } from '../domain/policy.js';
import { agreementInvalid, fieldsOutsidePurpose, noticeOutdated } from '../domain/review-checks.js';
import type { AppendLog } from './send-pipeline.js';

/** Where a campaign's fan-out stands, as the monitor needs it. */
export type CampaignState = 'running' | 'paused' | 'closed';

/** What the monitor's activities need; the worker wires the log, the unsubscribe counter and Temporal. */
export interface MonitorActivityDeps {
  /** A run's live counters over [since, until), kept by the log's appends (infra/redis/run-counters.ts). */
  readonly runCounters: (runId: string, since: Date, until: Date) => Promise<CounterTotals>;
  readonly policy: () => CompiledPolicy;
  readonly policyAt?: (version: string) => Promise<CompiledPolicy | null>;
  readonly appendLog: AppendLog;
  /** One-click unsubscribes through links of this campaign's messages, in [since, until). */
  readonly unsubscribeCount: (campaignId: string, since: Date, until: Date) => Promise<number>;
  /** The campaign's state; `runId` names the run whose journey registry settles what visibility does not list yet. */
  readonly campaignState: (campaignId: string, runId?: string) => Promise<CampaignState>;
  readonly pauseCampaign: (campaignId: string) => Promise<'signalled' | 'not_running'>;
  readonly raiseAlert: (a: AlertInput) => Promise<'raised' | 'duplicate'>;
  /** Counts the pause (`consentflow_monitor_pauses_total`). */
  readonly onMonitorPause?: (campaignId: string) => void;
}

const WindowInput = z.strictObject({
  campaignId: z.string().min(1),
  runId: z.string().min(1),
  since: z.iso.datetime({ precision: 3 }),
  until: z.iso.datetime({ precision: 3 }),
});
const StateInput = z.strictObject({ campaignId: z.string().min(1), runId: z.string().min(1).optional() });
const PauseInput = z.strictObject({
  campaignId: z.string().min(1),
  runId: z.string().min(1),
  window: z.string().min(1),
  /** The monitor's pause count for this run: one alert and one log entry per pause. */
  seq: z.number().int().min(1),
  at: z.iso.datetime({ precision: 3 }),
  crossed: z
    .array(
      z.strictObject({
        rate: z.string(),
        count: z.number(),
        sample: z.number(),
        value: z.number(),
        threshold: z.number(),
      }),
    )
    .min(1),
});

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const r = schema.safeParse(input);
  if (!r.success)
    throw ApplicationFailure.create({
      type: 'InvalidActivityInputFailure',
      nonRetryable: true,
      message: `${what}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    });
  return r.data;
}

/** The activities of the campaign monitor: read a window, pause a campaign, tell whether it still runs. */
export function createMonitorActivities(deps: MonitorActivityDeps) {
  const policies = new Map<string, Promise<CompiledPolicy | null>>();
  // Judged by the policy the decision was made under, so a notice published mid-run is no breach by earlier sends.
  const policyFor = async (version: string | null): Promise<CompiledPolicy> => {
    if (version === null || !deps.policyAt) return deps.policy();
    if (!policies.has(version)) policies.set(version, deps.policyAt(version));
    return (await policies.get(version)) ?? deps.policy();
  };
  // The review's invariant checks, on an allowed send's facts at the start of its counter bucket.
  const breach = async ({ facts: f, atMs }: AllowGroup): Promise<boolean> => {
    const p = await policyFor(f.policyVersion);
    return (
      fieldsOutsidePurpose(p, f.purpose, f.channel, f.fieldsReleased).length > 0 ||
      noticeOutdated(p, f.purpose, f.noticeVersion, atMs) ||
      agreementInvalid(p, f.processor, atMs)
    );
  };
  return {
    /**
     * A run's outcomes in [since, until) from its live counters (not the log: the window costs the same at any
     * volume), its allowed sends judged as the review would, and the campaign's unsubscribes.
     */
    async readCampaignWindow(input: {
      campaignId: string;
      runId: string;
      since: string;
      until: string;
    }): Promise<WindowCounts> {
      const w = parse(WindowInput, input, 'readCampaignWindow');
      const since = new Date(w.since);
      const until = new Date(w.until);
      const [totals, unsubscribes] = await Promise.all([
        deps.runCounters(w.runId, since, until),
        deps.unsubscribeCount(w.campaignId, since, until),
      ]);
      let breaches = 0;
      for (const g of totals.allows) if (await breach(g)) breaches += g.n;
      return { ...totals.counts, breaches, unsubscribes };
    },
    async campaignState(input: { campaignId: string; runId?: string }): Promise<CampaignState> {
      const s = parse(StateInput, input, 'campaignState');
      return deps.campaignState(s.campaignId, s.runId);
    },
    /**
     * Pauses the campaign (the signal first, so sends stop as soon as possible), then logs the pause with its figures
     * under the actor `monitor`, counts it and raises the alert. Each step is idempotent, so a retry repeats none.
     */
    async pauseByMonitor(input: {
      campaignId: string;
      runId: string;
      window: string;
      seq: number;
      at: string;
      crossed: readonly Crossing[];
    }): Promise<'paused' | 'not_running'> {
      const p = parse(PauseInput, input, 'pauseByMonitor');
      const signalled = await deps.pauseCampaign(p.campaignId);
      const pause = {
        campaignId: p.campaignId,
        runId: p.runId,
        window: p.window,
        crossed: p.crossed as Crossing[],
        at: new Date(p.at),
      };
      const id = ulid(Date.parse(p.at));
      const [stored] = await deps.appendLog([{ ...monitorPauseEntry(pause), id }], {
        idempotencyKeys: [`monitor-pause|${p.runId}|${p.seq}`],
      });
      // A retry after the append landed gets the first attempt's entry back (another id): that pause is counted.
      if (stored?.id === id) deps.onMonitorPause?.(p.campaignId);
      const facts = Object.fromEntries([
        ['run', p.runId],
        ['window', p.window],
        ...p.crossed.map((x) => [x.rate, `${x.count}/${x.sample}`]),
      ]);
      await deps.raiseAlert({
        v: 1,
        kind: 'monitor_pause',
        key: `monitor_pause:${p.campaignId}:${p.runId}:${p.seq}`,
        text: monitorPauseText(pause),
        at: p.at,
        campaignId: p.campaignId,
        facts,
      });
      return signalled === 'signalled' ? 'paused' : 'not_running';
    },
  };
}
