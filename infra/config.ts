import { z } from 'zod';
import { Duration } from '../domain/duration.js';
import { fingerprintId, parsePreviousKeys, type KeyKind, type KeyRing } from './keyring.js';

/** A bad or missing environment variable; the message names it and says how to fix it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const key32 = (name: string) =>
  z.string().transform((s, ctx) => {
    const b = Buffer.from(s, 'base64');
    if (b.length < 32) {
      ctx.addIssue({
        code: 'custom',
        message: `${name} must be at least 32 bytes, base64-encoded (generate one with: openssl rand -base64 32)`,
      });
      return z.NEVER;
    }
    return b;
  });

// `id:base64key,...`: the versions a secret replaced, still accepted when reading what they protected.
const previousKeys = (name: string) =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9._-]{1,64}:[A-Za-z0-9+/=]{44,}(,[A-Za-z0-9._-]{1,64}:[A-Za-z0-9+/=]{44,})*$/,
      `${name} must be id:base64key[,id:base64key...] with 32+ byte keys`,
    )
    .optional();
const keyId = (name: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, `${name} must be 1-64 of A-Z a-z 0-9 . _ -`)
    .optional();

const port = z.coerce.number().int().min(1).max(65535);

/** The environment consentflow reads, one schema parsed once in an entry point. */
export const EnvSchema = z.object({
  CONSENTFLOW_DATA_DIR: z.string().min(1).default('.data'),
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
  SMTP_URL: z
    .url({
      protocol: /^smtps?$/,
      error: 'SMTP_URL must be smtp:// or smtps://, e.g. smtp://user:pass@relay.example.com:587',
    })
    .optional(),
  SMTP_PORT: port.optional(),
  /** A real SMS gateway; unset, `dev` and the demo run the embedded SMPP server. */
  SMPP_URL: z
    .url({
      protocol: /^smpp$/,
      error: 'SMPP_URL must be smpp://system_id:password@host:port, e.g. smpp://shop:secret@smsc.example.com:2775',
    })
    .optional(),
  SMPP_PORT: port.optional(),
  /** The sender id or short code marketing SMS go out from (source_addr). */
  SMS_SOURCE_ADDR: z
    .string()
    .regex(
      /^[A-Za-z0-9+]{1,20}$/,
      'SMS_SOURCE_ADDR must be a short code, number or alphanumeric sender id of at most 20 characters',
    )
    .default('10690000'),
  API_PORT: port.default(8787),
  CONSENTFLOW_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'CONSENTFLOW_PUBLIC_URL must be the https URL where the API is reachable' })
    .optional(),
  // The brand (name, postal address) lives in the workspace policy, so pages and messages cannot disagree.
  CONSENTFLOW_SENDER_NAME: z
    .never({
      error:
        'CONSENTFLOW_SENDER_NAME is no longer read: the sender name is brand.name in the workspace policy (policy/brand.ts); unset it',
    })
    .optional(),
  CONSENTFLOW_SENDER_EMAIL: z
    .email({ error: 'CONSENTFLOW_SENDER_EMAIL must be an email address' })
    .default('news@shop.example'),
  /** Where feedback-loop (ARF) reports arrive; the dev SMTP sink takes mail to it as complaints. Default abuse@ the sender's domain. */
  CONSENTFLOW_ABUSE_ADDRESS: z
    .email({
      error:
        'CONSENTFLOW_ABUSE_ADDRESS must be an email address, e.g. abuse@shop.example (the address your feedback loops report to)',
    })
    .optional(),
  CONSENTFLOW_POSTAL_ADDRESS: z
    .never({
      error:
        'CONSENTFLOW_POSTAL_ADDRESS is no longer read: the postal address is brand.postalAddress in the workspace policy (policy/brand.ts); unset it',
    })
    .optional(),
  CONSENTFLOW_MASTER_KEY: key32('CONSENTFLOW_MASTER_KEY').optional(),
  CONSENTFLOW_PSEUDONYM_KEY: key32('CONSENTFLOW_PSEUDONYM_KEY').optional(),
  CONSENTFLOW_LOG_KEY: key32('CONSENTFLOW_LOG_KEY').optional(),
  CONSENTFLOW_TOKEN_KEY: key32('CONSENTFLOW_TOKEN_KEY').optional(),
  CONSENTFLOW_CODEC_KEY: key32('CONSENTFLOW_CODEC_KEY').optional(),
  CONSENTFLOW_MASTER_KEY_ID: keyId('CONSENTFLOW_MASTER_KEY_ID'),
  CONSENTFLOW_PSEUDONYM_KEY_ID: keyId('CONSENTFLOW_PSEUDONYM_KEY_ID'),
  CONSENTFLOW_LOG_KEY_ID: keyId('CONSENTFLOW_LOG_KEY_ID'),
  CONSENTFLOW_TOKEN_KEY_ID: keyId('CONSENTFLOW_TOKEN_KEY_ID'),
  CONSENTFLOW_MASTER_PREVIOUS_KEYS: previousKeys('CONSENTFLOW_MASTER_PREVIOUS_KEYS'),
  CONSENTFLOW_LOG_PREVIOUS_KEYS: previousKeys('CONSENTFLOW_LOG_PREVIOUS_KEYS'),
  CONSENTFLOW_TOKEN_PREVIOUS_KEYS: previousKeys('CONSENTFLOW_TOKEN_PREVIOUS_KEYS'),
  CONSENTFLOW_CODEC_PREVIOUS_KEYS: previousKeys('CONSENTFLOW_CODEC_PREVIOUS_KEYS'),
  /** A keyring file (JSON, see infra/keyring.ts) instead of, or under, the variables above; default <dataDir>/keys.json. */
  CONSENTFLOW_KEYRING_FILE: z.string().min(1).optional(),
  CONSENTFLOW_CODEC_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'CONSENTFLOW_CODEC_KEY_ID must be 1-64 of A-Z a-z 0-9 . _ -')
    .default('dev-1'),
  CONSENTFLOW_LOG_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
  /** Requests per minute per client IP on the subject pages (unsubscribe page, preferences, why, confirm). */
  CONSENTFLOW_RATE_SUBJECT_PER_MIN: z.coerce
    .number()
    .int()
    .min(1, 'CONSENTFLOW_RATE_SUBJECT_PER_MIN must be a whole number of at least 1')
    .default(60),
  /** Consent captures per minute per API key (or IP), and double opt-in confirmations per IP. */
  CONSENTFLOW_RATE_CONSENT_PER_MIN: z.coerce
    .number()
    .int()
    .min(1, 'CONSENTFLOW_RATE_CONSENT_PER_MIN must be a whole number of at least 1')
    .default(600),
  /** Other API requests per minute per API key (or IP without a valid key). */
  CONSENTFLOW_RATE_API_PER_MIN: z.coerce
    .number()
    .int()
    .min(1, 'CONSENTFLOW_RATE_API_PER_MIN must be a whole number of at least 1')
    .default(1200),
  CONSENTFLOW_REPORTS_DIR: z.string().min(1).optional(),
  /** HTTP API keys, `name:role:secret` comma-separated; roles marketer, reviewer, admin. */
  CONSENTFLOW_API_KEYS: z
    .string()
    .regex(
      /^[A-Za-z0-9_.-]+:(marketer|reviewer|admin):[A-Za-z0-9+/=_.-]{24,}(,[A-Za-z0-9_.-]+:(marketer|reviewer|admin):[A-Za-z0-9+/=_.-]{24,})*$/,
      'CONSENTFLOW_API_KEYS must be name:role:secret[,...] with role marketer, reviewer or admin and a secret of 24+ characters',
    )
    .optional(),
  /** Days a data subject request may stay open (15 working days is the strictest benchmark; GDPR allows a month). */
  CONSENTFLOW_DSAR_DEADLINE_DAYS: z.coerce.number().int().min(1).max(90).default(15),
  // An undelivered access bundle is kept for the policy's one window, which the daily retention run applies too.
  CONSENTFLOW_DSAR_BUNDLE_RETENTION: z
    .never({
      error:
        'CONSENTFLOW_DSAR_BUNDLE_RETENTION is no longer read: an undelivered access bundle is kept for retention.accessBundlesDays in the workspace policy (policy/retention.ts), the window the daily retention run applies too; unset it and set that field',
    })
    .optional(),
  /** Processor webhooks for withdrawal and erasure notices, `processorId=https://…` comma-separated. */
  CONSENTFLOW_PROCESSOR_WEBHOOKS: z.string().optional(),
  /** Where the worker serves its Prometheus metrics, host:port (off when unset). */
  CONSENTFLOW_METRICS_ADDR: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'CONSENTFLOW_METRICS_ADDR must be host:port, e.g. 127.0.0.1:9464')
    .optional(),
  /** Where the Temporal SDK runtime serves its own Prometheus metrics, host:port (off when unset). */
  CONSENTFLOW_TEMPORAL_METRICS_ADDR: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'CONSENTFLOW_TEMPORAL_METRICS_ADDR must be host:port, e.g. 127.0.0.1:9465')
    .optional(),
  /** The level of the JSON logs on stderr (worker default warn: the SDK's info lines are routine; API default info: request lines). */
  CONSENTFLOW_LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error'], {
      error: 'CONSENTFLOW_LOG_LEVEL must be trace, debug, info, warn or error',
    })
    .optional(),
  /** Where alerts are POSTed as JSON with a Slack-compatible `text` (a Slack incoming webhook works as is); off when unset. */
  CONSENTFLOW_ALERT_WEBHOOK_URL: z
    .url({
      protocol: /^https?$/,
      error: 'CONSENTFLOW_ALERT_WEBHOOK_URL must be an http(s) URL, e.g. https://hooks.slack.com/services/…',
    })
    .optional(),
  /** How often each campaign's monitor reads its window, like 15s; the window itself is a policy threshold. */
  CONSENTFLOW_MONITOR_TICK: Duration.default('15s'),
  /** `dev` lifts the production refusals (http links, no DKIM) for a worker or API on a local machine. */
  CONSENTFLOW_ENV: z
    .enum(['production', 'dev'], { error: 'CONSENTFLOW_ENV must be production or dev' })
    .default('production'),
  DKIM_DOMAIN: z.string().optional(),
  DKIM_SELECTOR: z.string().optional(),
  DKIM_PRIVATE_KEY: z.string().optional(),
});
export type Env = z.infer<typeof EnvSchema>;

/** The secrets consentflow needs; in `dev` they are generated once into the data dir. */
export interface Secrets {
  readonly masterKey: Buffer;
  readonly pseudonymKey: Buffer;
  readonly logKey: Buffer;
  readonly tokenKey: Buffer;
  readonly codecKey: Buffer;
  readonly codecKeyId: string;
  /** Every secret with its key id and the versions it replaced; the flat fields above are the current keys. */
  readonly rings: Readonly<Record<KeyKind, KeyRing>>;
}

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

const KIND_OF = {
  masterKey: 'master',
  pseudonymKey: 'pseudonym',
  logKey: 'log',
  tokenKey: 'token',
  codecKey: 'codec',
} as const satisfies Record<string, KeyKind>;

const SECRET_VARS = {
  masterKey: 'CONSENTFLOW_MASTER_KEY',
  pseudonymKey: 'CONSENTFLOW_PSEUDONYM_KEY',
  logKey: 'CONSENTFLOW_LOG_KEY',
  tokenKey: 'CONSENTFLOW_TOKEN_KEY',
  codecKey: 'CONSENTFLOW_CODEC_KEY',
} as const;

/**
 * Builds the AppConfig. Secrets come from the environment; where one is missing and `devKeys` is given (dev, demo,
 * tests, or a local data dir that `dev` already initialised), it is taken from there. Otherwise: a ConfigError
 * naming every missing variable.
 */
export function buildConfig(env: Env, devKeys?: Partial<Record<SecretName, Buffer | KeyRing>>): AppConfig {
  const missing: string[] = [];
  const ring = (name: SecretName): KeyRing => {
    const kind = KIND_OF[name];
    const fromEnv = env[SECRET_VARS[name]] as Buffer | undefined;
    const given = fromEnv ?? devKeys?.[name];
    if (given === undefined) {
      missing.push(SECRET_VARS[name]);
      return { current: { id: 'missing', key: Buffer.alloc(0) }, previous: [] };
    }
    if (!Buffer.isBuffer(given)) return given;
    // A bare key: its id comes from the environment, else a fingerprint (the codec keeps its historical default).
    const id =
      kind === 'codec'
        ? env.CONSENTFLOW_CODEC_KEY_ID
        : ((env[`CONSENTFLOW_${kind.toUpperCase()}_KEY_ID` as keyof Env] as string | undefined) ??
          fingerprintId(kind, given));
    const prev =
      kind === 'pseudonym'
        ? undefined
        : (env[`CONSENTFLOW_${kind.toUpperCase()}_PREVIOUS_KEYS` as keyof Env] as string | undefined);
    return { current: { id, key: given }, previous: fromEnv ? parsePreviousKeys(prev) : [] };
  };
  const rings = Object.fromEntries(SECRET_NAMES.map((n) => [KIND_OF[n], ring(n)])) as Record<KeyKind, KeyRing>;
  const secrets: Secrets = {
    masterKey: rings.master.current.key,
    pseudonymKey: rings.pseudonym.current.key,
    logKey: rings.log.current.key,
    tokenKey: rings.token.current.key,
    codecKey: rings.codec.current.key,
    codecKeyId: rings.codec.current.id,
    rings,
  };
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

/** Names of the secrets, for generating local dev keys. */
export const SECRET_NAMES = Object.keys(SECRET_VARS) as Array<keyof typeof SECRET_VARS>;
export type SecretName = keyof typeof SECRET_VARS;
/** The ring kind of each secret name. */
export const kindOfSecret = (name: SecretName): KeyKind => KIND_OF[name];
/** The secret name of each ring kind. */
export const secretOfKind = (kind: KeyKind): SecretName => SECRET_NAMES.find((n) => KIND_OF[n] === kind)!;
