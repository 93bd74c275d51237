import { z } from 'zod';
import { connectionEnv, port } from './config-connections.js';
import { buildSecrets, keyEnv, type SecretName, type Secrets } from './config-keys.js';
import { dkimEnv, senderEnv, transportEnv } from './config-channels.js';
import { observabilityEnv, rateLimitEnv, subjectRequestEnv } from './config-operations.js';
import type { KeyRing } from './keyring.js';

/** A bad or missing environment variable; the message names it and says how to fix it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

// Each area's variables live in its own file; the order they are spread in is the order parseEnv lists problems.
/** The environment consentflow reads, one schema parsed once in an entry point. */
export const EnvSchema = z.object({
  CONSENTFLOW_DATA_DIR: z.string().min(1).default('.data'),
  ...connectionEnv,
  ...transportEnv,
  API_PORT: port.default(8787),
  CONSENTFLOW_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'CONSENTFLOW_PUBLIC_URL must be the https URL where the API is reachable' })
    .optional(),
  ...senderEnv,
  ...keyEnv,
  CONSENTFLOW_LOG_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
  ...rateLimitEnv,
  CONSENTFLOW_REPORTS_DIR: z.string().min(1).optional(),
  /** HTTP API keys, `name:role:secret` comma-separated; roles marketer, reviewer, admin. */
  CONSENTFLOW_API_KEYS: z
    .string()
    .regex(
      /^[A-Za-z0-9_.-]+:(marketer|reviewer|admin):[A-Za-z0-9+/=_.-]{24,}(,[A-Za-z0-9_.-]+:(marketer|reviewer|admin):[A-Za-z0-9+/=_.-]{24,})*$/,
      'CONSENTFLOW_API_KEYS must be name:role:secret[,...] with role marketer, reviewer or admin and a secret of 24+ characters',
    )
    .optional(),
  ...subjectRequestEnv,
  /** Processor webhooks for withdrawal and erasure notices, `processorId=https://…` comma-separated. */
  CONSENTFLOW_PROCESSOR_WEBHOOKS: z.string().optional(),
  ...observabilityEnv,
  /** `dev` lifts the production refusals (http links, no DKIM) for a worker or API on a local machine. */
  CONSENTFLOW_ENV: z
    .enum(['production', 'dev'], { error: 'CONSENTFLOW_ENV must be production or dev' })
    .default('production'),
  ...dkimEnv,
});
export type Env = z.infer<typeof EnvSchema>;

/** Parsed configuration handed down from the entry points. */
export interface AppConfig {
  readonly env: Env;
  readonly dataDir: string;
  readonly redisKeyPrefix: string;
  /** REDIS_URL is a Redis Cluster (several nodes, or REDIS_CLUSTER=1). */
  readonly redisCluster: boolean;
  readonly taskQueue: string;
  readonly namespace: string;
  readonly logPartitions: number;
  readonly publicUrl: string;
  /** The envelope sender; the name and postal address shown come from the policy's brand. */
  readonly sender: { readonly email: string };
  /** The abuse mailbox feedback-loop reports are sent to (lower-cased). */
  readonly abuseAddress: string;
  readonly secrets: Secrets;
  /** Requests per minute per client, by bucket (see api/rate-limits.ts). */
  readonly rateLimits: { readonly subject: number; readonly consent: number; readonly api: number };
}

/** Parses the environment; every bad variable is listed on its own line with the fix. */
export function parseEnv(source: NodeJS.ProcessEnv): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const r = EnvSchema.safeParse(cleaned);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${String(i.path[0] ?? '(env)')}: ${i.message}`);
  throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
}

/**
 * Builds the AppConfig. Secrets come from the environment; where one is missing and `devKeys` is given (dev, demo,
 * tests, or a local data dir that `dev` already initialised), it is taken from there. Otherwise: a ConfigError
 * naming every missing variable.
 */
export function buildConfig(env: Env, devKeys?: Partial<Record<SecretName, Buffer | KeyRing>>): AppConfig {
  const { secrets, missing } = buildSecrets(env, devKeys);
  if (missing.length) {
    throw new ConfigError(
      `Missing secrets: ${missing.join(', ')}. Set each to 32+ random bytes in base64 (openssl rand -base64 32), or run \`consentflow dev\` once to generate local ones in ${env.CONSENTFLOW_DATA_DIR}/keys.json.`,
    );
  }
  return {
    env,
    dataDir: env.CONSENTFLOW_DATA_DIR,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    redisCluster: env.REDIS_CLUSTER === '1' || (env.REDIS_URL ?? '').includes(','),
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    namespace: env.TEMPORAL_NAMESPACE,
    logPartitions: env.CONSENTFLOW_LOG_PARTITIONS,
    // Unset, links point at the API this machine actually serves, so a changed API_PORT never breaks them.
    publicUrl: (env.CONSENTFLOW_PUBLIC_URL ?? `http://127.0.0.1:${env.API_PORT}`).replace(/\/$/, ''),
    sender: { email: env.CONSENTFLOW_SENDER_EMAIL },
    // RFC 2142: abuse@ the domain mail comes from is where receivers look first.
    abuseAddress: (
      env.CONSENTFLOW_ABUSE_ADDRESS ?? `abuse@${env.CONSENTFLOW_SENDER_EMAIL.split('@')[1]}`
    ).toLowerCase(),
    secrets,
    rateLimits: {
      subject: env.CONSENTFLOW_RATE_SUBJECT_PER_MIN,
      consent: env.CONSENTFLOW_RATE_CONSENT_PER_MIN,
      api: env.CONSENTFLOW_RATE_API_PER_MIN,
    },
  };
}
