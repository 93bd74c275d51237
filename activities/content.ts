import { ApplicationFailure } from '@temporalio/activity';
import type { CompiledPolicy } from '../domain/policy.js';
import type { Segment } from '../domain/segment.js';
import type { TemplatePort } from './send-pipeline.js';

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

/** What content-resolving activities need: the worker's own content and, when wired, the deployed content. */
export interface ContentDeps {
  readonly policy: () => CompiledPolicy;
  readonly templates: TemplatePort;
  readonly segments: Readonly<Record<string, Segment>>;
  readonly content?: ContentSource;
}

/**
 * The deps a step runs with: the templates and segment of its bundle and the current policy, resolved once per
 * activity call. Without a bundle (a journey started before deploys) the worker's own templates and segments serve.
 */
export async function withContent<D extends ContentDeps>(deps: D, bundle: string | undefined): Promise<D> {
  if (deps.content === undefined) return deps;
  try {
    const [policy, c] = await Promise.all([deps.content.currentPolicy(), bundle === undefined ? undefined : deps.content.bundle(bundle)]);
    return { ...deps, policy: () => policy, ...(c === undefined ? {} : { templates: c.templates, segments: c.segments }) };
  } catch (e) {
    if (e instanceof BundleMissingError) throw ApplicationFailure.create({ type: 'BundleMissingFailure', nonRetryable: true, message: e.message });
    throw e;
  }
}
