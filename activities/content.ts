import { ApplicationFailure } from '@temporalio/activity';
import type { CompiledPolicy } from '../domain/policy.js';
import type { Segment } from '../domain/segment.js';
import { BundleMissingError, type ContentSource } from '../domain/content-source.js';
import type { TemplatePort } from './send-pipeline.js';

export { BundleMissingError, type BundleContent, type ContentSource } from '../domain/content-source.js';

/** What content-resolving activities need: the worker's own content and, when wired, the deployed content. */
export interface ContentDeps {
  readonly policy: () => CompiledPolicy;
  readonly templates: TemplatePort;
  readonly segments: Readonly<Record<string, Segment>>;
  readonly content?: ContentSource;
}

/** The policy of record: the workspace's newest deployed one, else the worker's own (no deploys yet). */
export async function policyOfRecord(deps: {
  readonly policy: () => CompiledPolicy;
  readonly content?: Pick<ContentSource, 'currentPolicy'>;
}): Promise<CompiledPolicy> {
  return deps.content === undefined ? deps.policy() : deps.content.currentPolicy();
}

/**
 * The deps a step runs with: the templates and segment of its bundle and the current policy, resolved once per
 * activity call. Without a bundle (a journey started before deploys) the worker's own templates and segments serve.
 */
export async function withContent<D extends ContentDeps>(deps: D, bundle: string | undefined): Promise<D> {
  if (deps.content === undefined) return deps;
  try {
    const [policy, c] = await Promise.all([
      deps.content.currentPolicy(),
      bundle === undefined ? undefined : deps.content.bundle(bundle),
    ]);
    return {
      ...deps,
      policy: () => policy,
      ...(c === undefined ? {} : { templates: c.templates, segments: c.segments }),
    };
  } catch (e) {
    if (e instanceof BundleMissingError)
      throw ApplicationFailure.create({ type: 'BundleMissingFailure', nonRetryable: true, message: e.message });
    throw e;
  }
}
