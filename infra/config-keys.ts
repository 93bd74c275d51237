import { z } from 'zod';
import { fingerprintId, parsePreviousKeys, type KeyKind, type KeyRing } from './keyring.js';

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

/** The secrets' variables: each key, its id and the versions it replaced, or a keyring file. */
export const keyEnv = {
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
};
type KeyEnv = z.infer<z.ZodObject<typeof keyEnv>>;

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
/** Names of the secrets, for generating local dev keys. */
export const SECRET_NAMES = Object.keys(SECRET_VARS) as Array<keyof typeof SECRET_VARS>;
export type SecretName = keyof typeof SECRET_VARS;
/** The ring kind of each secret name. */
export const kindOfSecret = (name: SecretName): KeyKind => KIND_OF[name];
/** The secret name of each ring kind. */
export const secretOfKind = (kind: KeyKind): SecretName => SECRET_NAMES.find((n) => KIND_OF[n] === kind)!;

/**
 * The secrets from the environment; where one is missing and `devKeys` is given, from there. Each one found in
 * neither is named in `missing` (its variable), for the caller's ConfigError.
 */
export function buildSecrets(
  env: KeyEnv,
  devKeys?: Partial<Record<SecretName, Buffer | KeyRing>>,
): { secrets: Secrets; missing: string[] } {
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
        : ((env[`CONSENTFLOW_${kind.toUpperCase()}_KEY_ID` as keyof KeyEnv] as string | undefined) ??
          fingerprintId(kind, given));
    const prev =
      kind === 'pseudonym'
        ? undefined
        : (env[`CONSENTFLOW_${kind.toUpperCase()}_PREVIOUS_KEYS` as keyof KeyEnv] as string | undefined);
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
  return { secrets, missing };
}
