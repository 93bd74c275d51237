import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { obtainRedisServer } from './redis.js';
import {
  aptInstall,
  freePort,
  onPath,
  outputOf,
  ServiceStartError,
  spawnService,
  waitUntil,
  type ManagedProcess,
} from './process.js';

/** A Redis Cluster of masters on loopback, each with AOF and `appendfsync always`. */
export interface RedisClusterService {
  /** The nodes as REDIS_URL takes them: comma-separated redis:// URLs. */
  readonly url: string;
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

function obtainRedisCli(): string {
  const found = onPath('redis-cli');
  if (found) return found;
  if (aptInstall('redis-tools', 'redis-cli not found') && onPath('redis-cli')) return onPath('redis-cli')!;
  throw new ServiceStartError(
    'redis-cli is not on PATH, so a Redis Cluster cannot be created. Install it (Debian: apt-get install redis-tools).',
  );
}

async function answers(port: number, probe: (c: Redis) => Promise<boolean>): Promise<boolean> {
  const c = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    return await probe(c);
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/**
 * Starts `masters` cluster-enabled redis-servers and joins them with `redis-cli --cluster create` (no replicas),
 * then waits until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(opts: { dataDir: string; masters?: number }): Promise<RedisClusterService> {
  const server = obtainRedisServer().path;
  const cli = obtainRedisCli();
  const ports: number[] = [];
  const procs: ManagedProcess[] = [];
  const stop = async () => void (await Promise.allSettled(procs.map((p) => p.stop())));
  try {
    for (let i = 0; i < (opts.masters ?? 3); i++) {
      const port = await freePort();
      const dir = join(opts.dataDir, `node-${port}`);
      mkdirSync(dir, { recursive: true });
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
      ];
      const p = spawnService(`redis-cluster-${port}`, server, args);
      procs.push(p);
      ports.push(port);
      await waitUntil(
        `redis cluster node ${port}`,
        () => answers(port, async (c) => (await c.ping()) === 'PONG'),
        15_000,
        p,
      );
    }
    const created = spawnSync(
      cli,
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (created.status !== 0)
      throw new ServiceStartError(
        `redis-cli --cluster create failed: ${(created.stderr || created.stdout).trim().split('\n').slice(-3).join(' ')}`,
      );
    for (const port of ports) {
      await waitUntil(
        `cluster_state:ok on ${port}`,
        () => answers(port, async (c) => String(await c.call('CLUSTER', 'INFO')).includes('cluster_state:ok')),
        30_000,
        procs[ports.indexOf(port)],
      );
    }
  } catch (e) {
    const out = procs.map(outputOf).join('\n').slice(-1000);
    await stop();
    throw e instanceof ServiceStartError
      ? e
      : new ServiceStartError(`could not start a Redis Cluster: ${(e as Error).message}\n${out}`);
  }
  return { url: ports.map((p) => `redis://127.0.0.1:${p}`).join(','), ports, stop };
}
