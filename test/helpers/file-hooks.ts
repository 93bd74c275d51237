import { after, before } from 'node:test';

/**
 * Registers the file's before/after hooks: `start` runs once before its tests and `stop` after them (only if it
 * started). The returned function hands out what started, inside a test; called earlier, it throws naming `what`.
 */
export function startedForFile<T>(
  what: string,
  start: () => Promise<T>,
  stop: (started: T) => Promise<void> | void,
): () => T {
  let started: T | undefined;
  before(async () => {
    started = await start();
  });
  after(async () => {
    if (started !== undefined) await stop(started);
  });
  return () => {
    if (started === undefined) throw new Error(`${what} starts in before(): use it inside a test`);
    return started;
  };
}
