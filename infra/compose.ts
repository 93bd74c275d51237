import type { Redis } from 'ioredis';
import type { SubjectRef } from '../domain/ids.js';
import type { CompiledPolicy, PolicyBundle } from '../domain/policy.js';
import type { AppConfig } from './config.js';
import { createEnvelope } from './crypto/envelope.js';
import { createPseudonymizer } from './crypto/pseudonym.js';
import { loadPolicy } from './policy-loader.js';
import { ConsentStore } from './redis/consent-store.js';
import { DecisionLog } from './redis/decision-log.js';
import { redisKeys, type RedisKeys } from './redis/keys.js';
import { RunStore } from './redis/run-store.js';
import { BundleStore } from './redis/bundle-store.js';
import { SendLedger } from './redis/send-ledger.js';
import { SubjectStore } from './redis/subject-store.js';
import { LinkTokens } from './tokens.js';
import { UnsubscribeCounter } from './redis/unsubscribe-counter.js';

/** The stores and helpers every entry point (worker, CLI, API) builds the same way from config and one Redis. */
export interface Services {
  readonly keys: RedisKeys;
  readonly consent: ConsentStore;
  readonly subjects: SubjectStore;
  readonly log: DecisionLog;
  readonly ledger: SendLedger;
  readonly runs: RunStore;
  /** Deployed campaign bundles and policy snapshots, content-addressed. */
  readonly bundles: BundleStore;
  readonly policy: CompiledPolicy;
  readonly tokens: LinkTokens;
  readonly pseudonymize: (subjectId: string) => SubjectRef;
  /** One-click unsubscribes per campaign and minute, for the monitor. */
  readonly unsubscribes: UnsubscribeCounter;
}

/** Wires the Redis-backed stores, the compiled policy and the link signer; the one place this happens. */
export function createServices(config: AppConfig, redis: Redis, bundle: PolicyBundle): Services {
  const keys = redisKeys(config.redisKeyPrefix);
  const { policy } = loadPolicy(bundle);
  return {
    keys,
    consent: new ConsentStore({ redis, keys }),
    subjects: new SubjectStore({
      redis,
      keys,
      envelope: createEnvelope({
        current: config.secrets.masterKey,
        previous: config.secrets.rings.master.previous.map((k) => k.key),
      }),
      pseudonymKey: config.secrets.pseudonymKey,
      addressFields: Object.values(bundle.channelAddressField),
    }),
    log: DecisionLog.fromConfig(config, redis),
    ledger: new SendLedger(redis, keys),
    runs: new RunStore(redis, keys),
    bundles: new BundleStore(redis, keys),
    policy,
    tokens: new LinkTokens(config.secrets.rings.token),
    pseudonymize: createPseudonymizer(config.secrets.pseudonymKey),
    unsubscribes: new UnsubscribeCounter(redis, config.redisKeyPrefix),
  };
}
