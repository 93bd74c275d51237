import type { SubjectRef } from '../../domain/ids.js';
import type { RunStore } from '../../infra/redis/run-store.js';

/**
 * Records a journey run of one member, as enrolment does before it starts the journey: the run, its sealed audience
 * and the journey's workflow id in the run's registry (so pause, resume and cancel reach it).
 */
export async function registerJourneyRun(
  runs: RunStore,
  run: { readonly runId: string; readonly campaignId: string; readonly sendSteps: readonly string[] },
  ref: SubjectRef,
  journeyId: string,
): Promise<void> {
  await runs.register({
    runId: run.runId,
    campaignId: run.campaignId,
    kind: 'journey',
    workflowId: `subjects:${run.campaignId}:${run.runId}`,
    startedAt: new Date().toISOString(),
    sendSteps: [...run.sendSteps],
    status: 'snapshotting',
  });
  await runs.addMembers(run.runId, [ref]);
  await runs.seal(run.runId);
  await runs.journeys.add(run.runId, [journeyId]);
}
