import { BundleMissingError, type BundleContent, type ContentSource } from '../../domain/content-source.js';
import type { CompiledPolicy, PolicyBundle } from '../../domain/policy.js';
import { failureLine } from '../../domain/load-result.js';
import { loadPolicy } from '../policy-loader.js';
import type { BundleStore } from '../redis/bundle-store.js';
import { templatePort } from '../templates/port.js';
import { compileTemplates } from '../templates/registry.js';
import { loadSegmentCode } from './segment-code.js';

/** A small least-recently-used map of promises: one fetch per key at a time, a failed fetch is not kept. */
class Lru<V> {
  readonly #items = new Map<string, Promise<V>>();
  constructor(private readonly max: number) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.#items.get(key);
    if (hit !== undefined) {
      this.#items.delete(key);
      this.#items.set(key, hit);
      return hit;
    }
    const p = load();
    this.#items.set(key, p);
    p.catch(() => this.#items.get(key) === p && this.#items.delete(key));
    while (this.#items.size > this.max) this.#items.delete(this.#items.keys().next().value!);
    return p;
  }

  get size(): number {
    return this.#items.size;
  }
}

/** How many compiled bundles and policies a worker keeps; older ones are fetched again when needed. */
export interface DeployedContentOptions {
  readonly maxBundles?: number;
  readonly maxPolicies?: number;
}

/**
 * A worker's view of deployed content: bundles fetched by hash on first use and kept compiled (bounded), and the
 * newest deployed policy, read on every call so a policy deploy reaches running workers without a restart.
 */
export class DeployedContent implements ContentSource {
  readonly #bundles: Lru<BundleContent>;
  readonly #policies: Lru<CompiledPolicy | null>;
  readonly #own: CompiledPolicy;
  #fetches = 0;

  constructor(
    private readonly store: BundleStore,
    private readonly own: { readonly policy: PolicyBundle },
    opts: DeployedContentOptions = {},
  ) {
    this.#bundles = new Lru(opts.maxBundles ?? 64);
    this.#policies = new Lru(opts.maxPolicies ?? 16);
    this.#own = loadPolicy(own.policy).policy;
  }

  /** Stores the worker's own policy as a snapshot and makes it current when nothing was deployed yet. */
  async register(): Promise<void> {
    await this.store.putPolicy(this.own.policy);
    await this.store.initCurrentPolicy(this.#own.version);
  }

  /** How many bundles were fetched from Redis (not served from the cache). */
  get fetches(): number {
    return this.#fetches;
  }

  bundle(hash: string): Promise<BundleContent> {
    return this.#bundles.get(hash, async () => {
      this.#fetches++;
      const b = await this.store.bundle(hash);
      if (b === null)
        throw new BundleMissingError(
          `bundle ${hash.slice(0, 12)} is not deployed in this Redis; deploy the campaign again (consentflow campaign deploy ID)`,
        );
      const templates = compileTemplates(
        `bundle:${hash.slice(0, 12)}`,
        Object.entries(b.templates).map(([id, source]) => ({ name: `${id}.hbs`, source })),
      );
      const segments: Record<string, BundleContent['segments'][string]> = {};
      if (b.segment !== null) {
        const s = await loadSegmentCode(b.segment.code, `segment ${b.segment.id} of bundle ${hash.slice(0, 12)}`);
        if (!s.ok) throw new BundleMissingError(failureLine(s));
        segments[s.value.id] = s.value;
      }
      return { templates: templatePort(templates), segments };
    });
  }

  /** The compiled policy of `version`, or null when no snapshot of it was stored. */
  policyAt(version: string): Promise<CompiledPolicy | null> {
    return this.#policies.get(version, async () => {
      const bundle = await this.store.policy(version);
      return bundle === null ? null : loadPolicy(bundle).policy;
    });
  }

  async currentPolicy(): Promise<CompiledPolicy> {
    const version = await this.store.currentPolicyVersion();
    if (version === null) return this.#own;
    const p = await this.policyAt(version);
    // An infrastructure fault, not a policy: the activity fails and retries, and nothing is decided meanwhile.
    if (p === null)
      throw new Error(
        `the current policy ${version.slice(0, 12)} has no stored snapshot; deploy again (consentflow campaign deploy ID)`,
      );
    return p;
  }
}
