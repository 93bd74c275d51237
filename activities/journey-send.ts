import type { SubjectRef } from '../domain/ids.js';
import type { RunJourneys } from '../infra/redis/run-journeys.js';
import { RUN_CANCELLED, runGuardedSends, type SendOptions, type SendOutcome, type SendSpec } from './send-pipeline.js';
import type { SendPipelineDeps } from './send-ports.js';

/**
 * One journey's send step for one subject: the guarded send, unless the run that enrolled the journey was cancelled.
 * The run's flag is read with the subject's state (one round trip), so a journey whose cancel signal was lost
 * (Temporal down while the operator cancelled) sends nothing once its run is cancelled: the member is logged as not
 * eligible (`run_cancelled`) and the journey ends on that outcome.
 */
export async function journeySend(
  deps: SendPipelineDeps & { readonly runs: { readonly journeys: Pick<RunJourneys, 'state'> } },
  spec: SendSpec,
  ref: SubjectRef,
  opts: Pick<SendOptions, 'heartbeat' | 'signal'> = {},
): Promise<SendOutcome> {
  const cancelled = deps.runs.journeys
    .state(spec.runId)
    .then((hold) => (hold === 'cancelled' ? new Map([[ref, RUN_CANCELLED]]) : undefined));
  const [out] = await runGuardedSends(deps, spec, [ref], { ...opts, excludedLater: cancelled });
  return out!;
}
