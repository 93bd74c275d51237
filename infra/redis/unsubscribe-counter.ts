import type { Redis } from 'ioredis';

const MINUTE_MS = 60_000;
// Longer than any monitor window (a window is at most a day in practice); older minutes are of no use to it.
const KEEP_S = 2 * 86_400;

/**
 * One-click unsubscribes per campaign and minute, for the monitor's unsubscribe rate. Written by the unsubscribe
 * endpoint, never by the send path, and read by the monitor once a tick.
 */
export class UnsubscribeCounter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(campaignId: string): string {
    return `${this.prefix}monitor:unsubscribes:{${campaignId}}`;
  }

  /** Counts one unsubscribe through a link of `campaignId`'s messages at `at`. */
  async count(campaignId: string, at: Date): Promise<void> {
    const key = this.key(campaignId);
    await this.redis
      .multi()
      .hincrby(key, String(Math.floor(at.getTime() / MINUTE_MS)), 1)
      .expire(key, KEEP_S)
      .exec();
  }

  /** Unsubscribes in the minutes that overlap [since, until). */
  async between(campaignId: string, since: Date, until: Date): Promise<number> {
    const all = await this.redis.hgetall(this.key(campaignId));
    const from = Math.floor(since.getTime() / MINUTE_MS);
    const to = Math.floor((until.getTime() - 1) / MINUTE_MS);
    return Object.entries(all).reduce(
      (n, [minute, v]) => (Number(minute) >= from && Number(minute) <= to ? n + Number(v) : n),
      0,
    );
  }
}
