import type { LogEntryInput } from './decision-log.js';
import { OperatorAction, operatorEntry } from './operator-action.js';
import { crossingText, type Crossing } from './monitor-window.js';

/** The actor of everything the monitor does, so the review tells its pauses from an operator's. */
export const MONITOR_ACTOR = 'monitor';

/** What the monitor saw when it paused a campaign. */
export interface MonitorPause {
  readonly campaignId: string;
  readonly runId: string;
  readonly window: string;
  readonly crossed: readonly Crossing[];
  readonly at: Date;
}

/** The decision-log entry of a monitor pause: actor first, then every crossed threshold with its figures. */
export function monitorPauseEntry(p: MonitorPause): LogEntryInput {
  const action = OperatorAction.campaign_paused_by_monitor;
  const entry = operatorEntry({
    action,
    actor: MONITOR_ACTOR,
    at: p.at,
    campaignId: p.campaignId,
    detail: `window=${p.window} ${p.crossed.map(crossingText).join(' ')}`,
  });
  return { ...entry, runId: p.runId, reasons: [action, ...p.crossed.map((x) => x.rate)] };
}

/** The alert text of a monitor pause, one line. */
export const monitorPauseText = (p: MonitorPause): string =>
  `consentflow paused campaign ${p.campaignId} (run ${p.runId}): ${p.crossed.map(crossingText).join(', ')} in the last ${p.window}. Resume with \`consentflow campaign resume ${p.campaignId}\` once the cause is fixed.`;
