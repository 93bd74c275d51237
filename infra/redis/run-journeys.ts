import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';

const PAGE = 500;

/**
 * A run's journey registry and its pause flag, under the run's hash tag. Enrolment records each journey's workflow id
 * before starting it, and pause sets the flag before it signals the registered journeys; a journey reads the flag when
 * it starts. So a journey is either registered in time to get the signal, or starts after the flag was set: none is
 * missed, whatever Temporal's visibility has indexed yet.
 */
export class RunJourneys {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Records journey workflow ids for the run (idempotent). */
  async add(runId: string, workflowIds: readonly string[]): Promise<void> {
    if (workflowIds.length) await this.redis.sadd(this.keys.runJourneys(runId), ...workflowIds);
  }

  /** The run's registered journey workflow ids, a page at a time (a set scan: each id at least once). */
  async *pages(runId: string, size = PAGE): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, ids] = await this.redis.sscan(this.keys.runJourneys(runId), cursor, 'COUNT', size);
      if (ids.length) yield ids;
      cursor = next;
    } while (cursor !== '0');
  }

  /** Holds (true) or releases (false) the run's journeys for those that start from now on. */
  async setPaused(runId: string, paused: boolean): Promise<void> {
    if (paused) await this.redis.set(this.keys.runPaused(runId), '1');
    else await this.redis.del(this.keys.runPaused(runId));
  }

  /** Whether the run's journeys are held. */
  async paused(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.runPaused(runId))) === 1;
  }
}
