import { ApplicationFailure } from '@temporalio/activity';
import { matchSegmentFields } from './segment-page.js';
import { withContent } from './content.js';
import { asFailure, heartbeat, segmentOf, type RunActivityDeps } from './run-page.js';

/** Which run's audience to fix, from which segment, for which purpose (the fields the segment may read). */
export interface SnapshotInput {
  readonly runId: string;
  readonly segmentId: string;
  readonly purpose: string;
  readonly bundle?: string;
}

/**
 * Fixes the run's audience: every indexed subject whose profile matches the segment, stored in a run-scoped
 * ordered set. The scan restarts if Redis restarted meanwhile (its scan cursor would mean nothing after).
 */
export async function snapshotAudience(
  deps: RunActivityDeps,
  input: SnapshotInput,
): Promise<{ size: number; digest: string }> {
  const clock = deps.now ?? (() => new Date());
  const bundled = await withContent(deps, input.bundle);
  const run = await bundled.runs.get(input.runId);
  if (!run)
    throw ApplicationFailure.create({
      type: 'RunUnknownFailure',
      nonRetryable: true,
      message: `run ${input.runId} is not recorded`,
    });
  if (run.status !== 'snapshotting') return { size: run.audienceSize ?? 0, digest: run.audienceDigest ?? '' };
  const segment = segmentOf(bundled, input.segmentId);
  const nowMs = clock().getTime();
  for (;;) {
    const redisRun = await bundled.redisRunId();
    let cursor = '0';
    do {
      const page = await bundled.pageSubjects(cursor, 1_000);
      try {
        await bundled.runs.addMembers(
          input.runId,
          await matchSegmentFields(bundled, bundled.policy(), segment, input.purpose, page.refs, nowMs),
        );
      } catch (e) {
        throw asFailure(e);
      }
      cursor = page.cursor;
      heartbeat();
    } while (cursor !== '0');
    if ((await bundled.redisRunId()) === redisRun) break;
  }
  const sealed = await bundled.runs.seal(input.runId);
  return { size: sealed.audienceSize ?? 0, digest: sealed.audienceDigest ?? '' };
}
