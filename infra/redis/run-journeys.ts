import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';

const PAGE = 500;
const CANCELLED = 'cancelled';
// A pause never overwrites a cancellation, and a resume only lifts a pause.
const PAUSE = `if redis.call('GET', KEYS[1]) ~= '${CANCELLED}' then redis.call('SET', KEYS[1], '1') end return 1`;
const RESUME = "if redis.call('GET', KEYS[1]) == '1' then redis.call('DEL', KEYS[1]) end return 1";

/** A run's hold on its journeys: none, paused (resumable) or cancelled (final). */
export type RunHold = 'running' | 'paused' | 'cancelled';

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

  /**
   * Holds (true) or releases (false) the run's journeys for those that start from now on. A cancelled run stays
   * cancelled: neither a pause nor a resume changes its flag.
   */
  async setPaused(runId: string, paused: boolean): Promise<void> {
    await this.redis.eval(paused ? PAUSE : RESUME, 1, this.keys.runPaused(runId));
  }

  /** Cancels the run for good: its journeys end before their next step, and those that start later end at once. */
  async setCancelled(runId: string): Promise<void> {
    await this.redis.set(this.keys.runPaused(runId), CANCELLED);
  }

  /** Whether the run's journeys are held (paused or cancelled). */
  async paused(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.runPaused(runId))) === 1;
  }

  /** Where the run stands for a journey that starts now. */
  async state(runId: string): Promise<RunHold> {
    const v = await this.redis.get(this.keys.runPaused(runId));
    return v === null ? 'running' : v === CANCELLED ? 'cancelled' : 'paused';
  }
}
