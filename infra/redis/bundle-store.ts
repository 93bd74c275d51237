import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CampaignBundle } from '../../domain/bundle.js';
import { PolicyBundle } from '../../domain/policy.js';
import { canonicalJson, policyVersion } from '../policy-loader.js';
import type { RedisKeys } from './keys.js';

/** A stored bundle or policy snapshot does not match its address or its schema: tampered with or corrupt. */
export class CorruptBundleError extends Error {
  override readonly name = 'CorruptBundleError';
}

/** The address of a bundle: SHA-256 (hex) of its canonical JSON, so equal content gets one hash whatever the key order. */
export function bundleHash(bundle: CampaignBundle): string {
  return createHash('sha256').update(canonicalJson(bundle)).digest('hex');
}

/**
 * Content-addressed, immutable storage of deployed campaign bundles and policy snapshots. A write never replaces
 * what an address holds (SET NX), and every read checks the content against its address.
 */
export class BundleStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Stores a bundle under its hash; `created` is false when that content was deployed before. */
  async putBundle(bundle: CampaignBundle): Promise<{ readonly hash: string; readonly created: boolean }> {
    const hash = bundleHash(bundle);
    const r = await this.redis.set(this.keys.bundle(hash), canonicalJson(bundle), 'NX');
    return { hash, created: r === 'OK' };
  }

  /** The bundle stored under `hash`, checked against it; null when none is. */
  async bundle(hash: string): Promise<CampaignBundle | null> {
    const raw = await this.redis.get(this.keys.bundle(hash));
    if (raw === null) return null;
    const parsed = CampaignBundle.safeParse(parseJson(raw));
    if (!parsed.success || bundleHash(parsed.data) !== hash)
      throw new CorruptBundleError(
        `bundle ${hash.slice(0, 12)} in Redis does not match its hash; redeploy the campaign`,
      );
    return parsed.data;
  }

  /** Stores a policy snapshot under its version (the guard's policy hash); an existing one is left as it is. */
  async putPolicy(policy: PolicyBundle): Promise<{ readonly version: string; readonly created: boolean }> {
    const version = policyVersion(policy);
    const r = await this.redis.set(this.keys.policySnapshot(version), canonicalJson(policy), 'NX');
    return { version, created: r === 'OK' };
  }

  /** The policy snapshot of `version`, checked against it; null when none was stored. */
  async policy(version: string): Promise<PolicyBundle | null> {
    const raw = await this.redis.get(this.keys.policySnapshot(version));
    if (raw === null) return null;
    const parsed = PolicyBundle.safeParse(parseJson(raw));
    if (!parsed.success || policyVersion(parsed.data) !== version)
      throw new CorruptBundleError(`policy snapshot ${version.slice(0, 12)} in Redis does not match its version`);
    return parsed.data;
  }

  /** Makes `version` (already stored) the policy the guard applies. */
  async setCurrentPolicy(version: string): Promise<void> {
    await this.redis.set(this.keys.policyCurrent(), version);
  }

  /** Sets the current policy only when none is set yet (a worker's own, before any deploy); returns the current one. */
  async initCurrentPolicy(version: string): Promise<string> {
    await this.redis.set(this.keys.policyCurrent(), version, 'NX');
    return (await this.currentPolicyVersion()) ?? version;
  }

  /** The version of the newest deployed policy, or null before any deploy. */
  currentPolicyVersion(): Promise<string | null> {
    return this.redis.get(this.keys.policyCurrent());
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
