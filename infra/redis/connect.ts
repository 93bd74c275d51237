import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** Whether REDIS_URL names a cluster: several comma-separated nodes, or REDIS_CLUSTER=1 with one seed node. */
export function isClusterUrl(url: string, clusterFlag = false): boolean {
  return clusterFlag || url.includes(',');
}

/**
 * Whether every key is on one node (a plain client, not a Redis Cluster's): a script may then touch keys of different
 * slots, so the send path batches subjects into one script where a cluster needs one per subject.
 */
export function onOneNode(redis: unknown): boolean {
  return !(redis as { isCluster?: boolean }).isCluster;
}

/**
 * A client for REDIS_URL: one server, or a Redis Cluster (ioredis `Cluster`, auto-pipelined per node). The
 * product's keys are hash-tagged per subject (`{subjectRef}`), per log chain (`{pN}`) and per run (`{runId}`), so
 * every script and MULTI touches one slot; the cluster client is typed as a `Redis` for the stores.
 */
export function connectRedis(url: string, options: RedisOptions = {}, clusterFlag = false): Redis {
  if (!isClusterUrl(url, clusterFlag)) return new Redis(url, options);
  const nodes = url.split(',').map((n) => new URL(n.trim().includes('://') ? n.trim() : `redis://${n.trim()}`));
  const first = nodes[0]!;
  const cluster = new Cluster(
    nodes.map((n) => ({ host: n.hostname, port: Number(n.port || 6379) })),
    {
      enableAutoPipelining: true,
      scaleReads: 'master',
      redisOptions: {
        ...options,
        username: first.username || undefined,
        password: first.password ? decodeURIComponent(first.password) : undefined,
        ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    },
  );
  return cluster as unknown as Redis;
}

/** Identifies the Redis process(es): a restart of any master changes it, so a scan cursor from before is void. */
export async function redisRunId(redis: Redis): Promise<string> {
  const servers = redis instanceof Cluster ? (redis as unknown as Cluster).nodes('master') : [redis];
  const ids = await Promise.all(
    servers.map(async (s) => /run_id:(\w+)/.exec(await s.info('server'))?.[1] ?? 'unknown'),
  );
  return ids.sort().join(',');
}
