import type { CompiledPolicy } from './policy.js';
import type { Segment } from './segment.js';
import type { TemplatePort } from './template-port.js';

/** A deployed bundle as a worker serves it: compiled templates and the loaded audience segment. */
export interface BundleContent {
  readonly templates: TemplatePort;
  readonly segments: Readonly<Record<string, Segment>>;
}

/** A deploy's bundle is not in the store: nothing of that campaign can be judged or rendered, so nothing is sent. */
export class BundleMissingError extends Error {
  override readonly name = 'BundleMissingError';
}

/** Where campaign activities get deployed content: bundles by hash and the newest deployed policy. */
export interface ContentSource {
  /** The bundle stored under `hash` (fetched on first use, then cached); throws BundleMissingError when none is. */
  bundle(hash: string): Promise<BundleContent>;
  /** The policy the guard applies: the newest deployed one, else the worker's own. */
  currentPolicy(): Promise<CompiledPolicy>;
}
