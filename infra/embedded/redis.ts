import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDirSync } from '../private-files.js';
import { Redis } from 'ioredis';
import {
  ServiceStartError,
  aptInstall,
  freePort,
  onPath,
  portInUse,
  spawnService,
  waitUntil,
  type ManagedProcess,
} from './process.js';

/** A Redis the project can talk to, and how to stop it if we started it. */
export interface RedisService {
  readonly url: string;
  readonly source: 'external' | 'path' | 'apt';
  stop(): Promise<void>;
}

/** Finds `redis-server`, installing Debian's package when running as root with apt, else explains what to install. */
export function obtainRedisServer(): { path: string; source: 'path' | 'apt' } {
  const found = onPath('redis-server');
  if (found) return { path: found, source: 'path' };
  if (aptInstall('redis-server', 'redis-server not found')) {
    const after = onPath('redis-server') ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : undefined);
    if (after) return { path: after, source: 'apt' };
    throw new ServiceStartError(
      'apt-get install redis-server did not leave a redis-server binary. Install Redis 6.2+ by hand, or set REDIS_URL to an existing Redis.',
    );
  }
  throw new ServiceStartError(
    'redis-server is not on PATH. Install Redis 6.2+ (Debian: apt-get install redis-server; macOS: brew install redis), or set REDIS_URL=redis://host:port to use an existing one.',
  );
}

/**
 * Starts a private redis-server on loopback with AOF and `appendfsync always`, because consent events and the
 * decision log must survive a crash of the machine, not only of the process.
 */
export async function startRedis(opts: {
  dataDir: string;
  port?: number;
  externalUrl?: string;
}): Promise<RedisService> {
  if (opts.externalUrl) return { url: opts.externalUrl, source: 'external', stop: async () => {} };
  const bin = obtainRedisServer();
  const port = opts.port ?? (await freePort());
  if (opts.port && (await portInUse(port))) {
    throw new ServiceStartError(
      `Port ${port} is already in use, so Redis cannot start there. Stop what holds it, choose another with REDIS_PORT, or set REDIS_URL to use that server.`,
    );
  }
  ensurePrivateDirSync(opts.dataDir);
  // umask 077: the AOF (consent events, encrypted profiles) and redis.log are created 0600 in 0700 folders.
  const proc: ManagedProcess = spawnService(
    'redis',
    bin.path,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      opts.dataDir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
      '--logfile',
      join(opts.dataDir, 'redis.log'),
    ],
    { umask: 0o077 },
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitUntil(
    'redis-server',
    async () => {
      const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => {}); // a refused probe is expected while the server boots
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } finally {
        c.disconnect();
      }
    },
    15_000,
    proc,
  );
  return { url, source: bin.source, stop: () => proc.stop() };
}
