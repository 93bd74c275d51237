import type { SubjectRef } from '../domain/ids.js';
import type { RunJourneys } from '../infra/redis/run-journeys.js';
import { RUN_CANCELLED, runGuardedSends, type SendOptions, type SendOutcome, type SendSpec } from './send-pipeline.js';
import type { SendPipelineDeps } from './send-ports.js';

/**
 * One journey's send step for one subject: the guarded send, unless the run that enrolled the journey was cancelled
 * or is paused. The run's flag is read with the subject's state (one round trip), so a journey whose signal was lost
 * (Temporal down while the operator acted) still obeys its run: cancelled, the member is logged as not eligible
 * (`run_cancelled`) and the journey ends; paused, the member keeps its decision, nothing is sent, and the outcome is
 * `busy` with `run_paused`, on which the journey holds until it is resumed.
 */
export async function journeySend(
  deps: SendPipelineDeps & { readonly runs: { readonly journeys: Pick<RunJourneys, 'state'> } },
  spec: SendSpec,
  ref: SubjectRef,
  opts: Pick<SendOptions, 'heartbeat' | 'signal'> = {},
): Promise<SendOutcome> {
  let paused = false;
  const cancelled = deps.runs.journeys.state(spec.runId).then((hold) => {
    paused = hold === 'paused';
    return hold === 'cancelled' ? new Map([[ref, RUN_CANCELLED]]) : undefined;
  });
  const [out] = await runGuardedSends(deps, spec, [ref], {
    ...opts,
    excludedLater: cancelled,
    held: () => paused,
  });
  return out!;
}
