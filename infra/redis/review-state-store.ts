import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ReviewState } from '../../domain/review-state.js';

/** Which part of the review a parked state has reached. */
export const ReviewPhase = { baseline: 'baseline', period: 'period', consent: 'consent', done: 'done' } as const;
export type ReviewPhase = (typeof ReviewPhase)[keyof typeof ReviewPhase];

const Progress = z.object({
  phase: z.enum(ReviewPhase),
  /** Pages applied so far; the compare-and-set token between concurrent attempts. */
  page: z.number().int().min(0),
  logCursor: z.string().nullable(),
  subjectCursor: z.string(),
  baselineDays: z.number().int().min(0),
  consent: z.object({
    pendingDoubleOptIns: z.number().int(),
    subjectsScanned: z.number().int(),
    noticeVersionsInConsents: z.record(z.string(), z.number().int()),
  }),
  logEntryId: z.string().nullable(),
  generatedAt: z.string().nullable(),
});
/** Where a review stands, kept next to its accumulated state. */
export type ReviewProgress = z.infer<typeof Progress>;

/** A review between pages: its progress and the accumulator's state, written together so they never disagree. */
export interface ParkedReview {
  readonly progress: ReviewProgress;
  readonly state: ReviewState;
}

// The accumulator's state is its own JSON; only its shape markers are checked here, the domain owns the rest.
const Parked = z.object({
  progress: Progress,
  state: z.looseObject({
    sinceMs: z.number(),
    untilMs: z.number(),
    entries: z.number(),
    pending: z.array(z.unknown()),
  }),
});

/** Parked review data failed its schema: written by something else, or damaged. */
export class ReviewStateCorruptError extends Error {
  override readonly name = 'ReviewStateCorruptError';
}

const CAS = `local cur = redis.call('HGET', KEYS[1], 'page')
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then
  redis.call('HSET', KEYS[1], 'page', ARGV[2], 'data', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return 1
end
return 0`;

/** Parks review state in Redis between pages, so workflow history carries only ids and counts. */
export class ReviewStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    /** Parked state outlives any sane review, then cleans itself up. */
    private readonly ttlMs = 7 * 86_400_000,
  ) {}

  private key(id: string): string {
    return `${this.keyPrefix}review:${id}:state`;
  }

  /** The parked review, or null when none exists under this id. */
  async load(id: string): Promise<ParkedReview | null> {
    const raw = await this.redis.hget(this.key(id), 'data');
    if (raw === null) return null;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ReviewStateCorruptError(`parked state of review ${id} is not JSON; start the review again`);
    }
    const r = Parked.safeParse(json);
    if (!r.success)
      throw new ReviewStateCorruptError(`parked state of review ${id} failed validation; start the review again`);
    return r.data as unknown as ParkedReview;
  }

  /** Writes `next` only if the stored page count is still `expectedPage` (null: only if nothing is stored); false if another attempt moved on. */
  async save(id: string, expectedPage: number | null, next: ParkedReview): Promise<boolean> {
    const n = await this.redis.eval(
      CAS,
      1,
      this.key(id),
      expectedPage === null ? '' : String(expectedPage),
      String(next.progress.page),
      JSON.stringify(next),
      String(this.ttlMs),
    );
    return n === 1;
  }

  /** Drops a finished review's parked state. */
  async delete(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }
}
