import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { RetentionInput } from '../../workflows/retention.js';

/** The schedule id of a deployment: one retention schedule per task queue. */
export const retentionScheduleId = (taskQueue: string): string =>
  taskQueue === 'consentflow' ? 'consentflow-retention' : `consentflow-retention-${taskQueue}`;

/** Creates the daily retention schedule unless it exists; overlap SKIP, so a long run is never doubled. */
export async function ensureRetentionSchedule(
  client: Client,
  taskQueue: string,
  everyMs = 86_400_000,
): Promise<'created' | 'exists'> {
  const input: RetentionInput = { v: 1 };
  try {
    await client.schedule.create({
      scheduleId: retentionScheduleId(taskQueue),
      spec: { intervals: [{ every: everyMs }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'retention',
        taskQueue,
        workflowId: `retention-scheduled-${taskQueue}`,
        args: [input],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    return 'created';
  } catch (e) {
    if (e instanceof ScheduleAlreadyRunning) return 'exists';
    throw e;
  }
}
