import type { Redis } from 'ioredis';

/** What `fn` returns, and the names of the commands `redis` sent while it ran, in order. */
export async function commandsDuring<T>(
  redis: Redis,
  fn: () => Promise<T>,
): Promise<{ result: T; commands: string[] }> {
  const commands: string[] = [];
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (cmd, ...rest) => (commands.push(cmd.name), send(cmd, ...rest));
  try {
    return { result: await fn(), commands };
  } finally {
    redis.sendCommand = send;
  }
}
