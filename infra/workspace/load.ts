import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseCampaign, type Campaign } from '../../domain/campaign.js';
import { failureLine, type LoadFailure, type LoadResult } from '../../domain/load-result.js';
import { checkPolicy } from '../../domain/policy-check.js';
import type { PolicyBundle } from '../../domain/policy.js';
import { parseSegment, type Segment } from '../../domain/segment.js';
import { loadTemplates, type TemplateRegistry } from '../templates/registry.js';
import { importContentModule, problemsFailure, singleExport } from './content-module.js';
import { workspacePaths, type WorkspacePaths } from './paths.js';

/** A failure to load a campaign (`id` is set when the file declared one). */
export type CampaignFailure = LoadFailure;

/** Everything a workspace holds, loaded; bad files are listed in `failures` and left out, never thrown. */
export interface Workspace {
  readonly paths: WorkspacePaths;
  readonly policy: LoadResult<PolicyBundle>;
  readonly campaigns: Readonly<Record<string, Campaign>>;
  readonly segments: Readonly<Record<string, Segment>>;
  /** Segment id → the absolute path of the file that defines it (a deploy compiles it into the bundle). */
  readonly segmentFiles: Readonly<Record<string, string>>;
  readonly templates: TemplateRegistry;
  readonly campaignFailures: readonly CampaignFailure[];
  /** Segment and template files that did not load. */
  readonly otherFailures: readonly LoadFailure[];
}

const CODE = /\.(ts|mts|js|mjs)$/;

/** Every content file directly in `dir` (TypeScript or JavaScript, no declarations), sorted: no index to register in. */
export function contentFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && CODE.test(e.name) && !e.name.endsWith('.d.ts') && !/\.test\.[mc]?[tj]s$/.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
}

async function loadDefinitions<T extends { id: string }>(
  paths: WorkspacePaths,
  dir: string,
  what: string,
  example: string,
  parse: (v: unknown) => { ok: true; value: T } | { ok: false; problems: { path: string; message: string }[] },
): Promise<{ byId: Record<string, T>; files: Record<string, string>; failures: LoadFailure[] }> {
  const byId: Record<string, T> = {};
  const files: Record<string, string> = {};
  const seenIn = new Map<string, string>();
  const failures: LoadFailure[] = [];
  for (const file of contentFiles(dir)) {
    const shownAs = relative(paths.root, file);
    const loaded = await importContentModule(file, shownAs);
    const value = loaded.ok ? singleExport(loaded, shownAs, what, example) : loaded;
    if (!value.ok) {
      failures.push(value);
      continue;
    }
    const rawId = (value.value as { id?: unknown } | null)?.id;
    const idOf = typeof rawId === 'string' ? { id: rawId } : {};
    const parsed = parse(value.value);
    if (!parsed.ok) {
      failures.push({ ...problemsFailure(shownAs, parsed.problems), ...idOf });
      continue;
    }
    const other = seenIn.get(parsed.value.id);
    if (other !== undefined) {
      failures.push({
        ok: false,
        file: shownAs,
        path: 'id',
        message: `"${parsed.value.id}" is already the id of ${other}; give each ${what} its own id`,
        ...idOf,
      });
      continue;
    }
    seenIn.set(parsed.value.id, shownAs);
    byId[parsed.value.id] = parsed.value;
    files[parsed.value.id] = file;
  }
  return { byId, files, failures };
}

/** The policy as written (`policy/index.ts`: its default export, `policyInput` or `policy`), not yet checked. */
export async function loadPolicyInput(
  paths: WorkspacePaths,
): Promise<LoadResult<unknown> & { readonly file?: string }> {
  const file = contentFiles(paths.policy).find((f) => /[/\\]index\.[mc]?[tj]s$/.test(f));
  const shownAs = relative(paths.root, file ?? join(paths.policy, 'index.ts'));
  if (file === undefined)
    return {
      ok: false,
      file: shownAs,
      path: '',
      message: 'is missing; create it and export the policy (run `consentflow init` for an example)',
    };
  const loaded = await importContentModule(file, shownAs);
  if (!loaded.ok) return loaded;
  const e = loaded.exports;
  const input = e.default ?? e.policyInput ?? e.policy;
  if (input === undefined)
    return {
      ok: false,
      file: shownAs,
      path: '',
      message:
        'exports no policy; add `export default { purposes, notices, processors, subjectFields, channelAddressField }`',
    };
  return { ok: true, value: input, file: shownAs };
}

/** Loads the workspace policy and checks it in full: a policy with any problem does not load (fail closed). */
export async function loadWorkspacePolicy(paths: WorkspacePaths): Promise<LoadResult<PolicyBundle>> {
  const input = await loadPolicyInput(paths);
  if (!input.ok) return input;
  const checked = checkPolicy(input.value);
  if (!checked.ok) return problemsFailure(input.file ?? 'policy', checked.problems);
  return { ok: true, value: checked.policy };
}

/** Loads every campaign, segment and template of a workspace, and its policy; one bad file never stops the rest. */
export async function loadWorkspace(paths: WorkspacePaths): Promise<Workspace> {
  const policy = await loadWorkspacePolicy(paths);
  const campaigns = await loadDefinitions(
    paths,
    paths.campaigns,
    'campaign',
    'export const cart = defineCampaign({ ... })',
    parseCampaign,
  );
  const segments = await loadDefinitions(
    paths,
    paths.segments,
    'segment',
    'export const vip = defineSegment({ ... })',
    parseSegment,
  );
  const templateFailures: LoadFailure[] = [];
  const templates = loadTemplates(paths.templates, (file, message) => {
    templateFailures.push({ ok: false, file: relative(paths.root, file), path: '', message });
  });
  return {
    paths,
    policy,
    campaigns: campaigns.byId,
    segments: segments.byId,
    segmentFiles: segments.files,
    templates,
    campaignFailures: campaigns.failures,
    otherFailures: [...segments.failures, ...templateFailures],
  };
}

/** A folder that is not a workspace, as one line. */
export class WorkspaceError extends Error {
  override readonly name = 'WorkspaceError';
}

/** Resolves and loads the workspace at `root`; throws WorkspaceError only when the folder itself is unusable. */
export async function openWorkspace(root: string): Promise<Workspace> {
  const paths = await workspacePaths(root);
  if (!paths.ok) throw new WorkspaceError(`workspace ${failureLine(paths)}`);
  return loadWorkspace(paths.value);
}
