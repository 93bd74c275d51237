import { z } from 'zod';

/** A TCP port number. */
export const port = z.coerce.number().int().min(1).max(65535);

/** Where Redis and Temporal are; unset, the embedded ones run. */
export const connectionEnv = {
  // One server, or a cluster's nodes separated by commas (redis://10.0.0.1:7000,redis://10.0.0.2:7000).
  REDIS_URL: z
    .string()
    .refine((v) => v.split(',').every((n) => z.url({ protocol: /^rediss?$/ }).safeParse(n.trim()).success), {
      error:
        "REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379, or a Redis Cluster's nodes separated by commas",
    })
    .optional(),
  REDIS_CLUSTER: z
    .enum(['0', '1'], { error: 'REDIS_CLUSTER must be 1 (REDIS_URL is a cluster seed node) or 0' })
    .default('0'),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[a-z0-9:_-]*$/, 'REDIS_KEY_PREFIX may hold a-z 0-9 : _ - only')
    .default('cf:'),
  REDIS_PORT: port.optional(),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'TEMPORAL_ADDRESS must be host:port, e.g. 127.0.0.1:7233')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('consentflow'),
  TEMPORAL_PORT: port.optional(),
};
