import { ApplicationFailure } from '@temporalio/activity';
import type { SubjectRef } from '../domain/ids.js';
import { matchSegmentFields } from './segment-page.js';
import { withContent } from './content.js';
import { asFailure, heartbeat, segmentOf, type RunActivityDeps } from './run-page.js';

const SCAN_PAGE = 1_000;
/** Pages matched at once while the scan goes on. */
const PAGES_IN_FLIGHT = 4;

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
  const match = async (refs: readonly SubjectRef[]) => {
    try {
      await bundled.runs.addMembers(
        input.runId,
        await matchSegmentFields(bundled, bundled.policy(), segment, input.purpose, refs, nowMs),
      );
    } catch (e) {
      throw asFailure(e);
    }
  };
  for (;;) {
    const redisRun = await bundled.redisRunId();
    // The scan's next page is read while earlier pages are matched and added, a few pages at most: the audience
    // streams into its set and is never held whole in memory.
    const matching: Array<Promise<void>> = [];
    let cursor = '0';
    do {
      const page = await bundled.pageSubjects(cursor, SCAN_PAGE);
      const m = match(page.refs);
      m.catch(() => undefined);
      matching.push(m);
      if (matching.length >= PAGES_IN_FLIGHT) await matching.shift();
      cursor = page.cursor;
      heartbeat();
    } while (cursor !== '0');
    await Promise.all(matching);
    if ((await bundled.redisRunId()) === redisRun) break;
  }
  const sealed = await bundled.runs.seal(input.runId);
  return { size: sealed.audienceSize ?? 0, digest: sealed.audienceDigest ?? '' };
}
