import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { issueProblem, type LoadResult } from '../../domain/load-result.js';
import { importContentModule, problemsFailure, singleExport } from './content-module.js';

/** Where a workspace keeps each kind of content, as absolute paths. */
export interface WorkspacePaths {
  readonly root: string;
  readonly policy: string;
  readonly campaigns: string;
  readonly segments: string;
  readonly templates: string;
}

/** `consentflow.config.ts`: folders relative to the workspace root; each defaults to the conventional one. */
export const WorkspaceConfig = z.strictObject({
  policy: z.string().min(1).default('policy'),
  campaigns: z.string().min(1).default('campaigns'),
  segments: z.string().min(1).default('segments'),
  templates: z.string().min(1).default('campaigns/templates'),
});
export type WorkspaceConfig = z.infer<typeof WorkspaceConfig>;

/** The name of the optional workspace config file, first match wins. */
export const configFileNames = [
  'consentflow.config.ts',
  'consentflow.config.mts',
  'consentflow.config.js',
  'consentflow.config.mjs',
] as const;

/** The workspace directory: `--workspace`, else CONSENTFLOW_WORKSPACE, else the current directory. */
export function workspaceDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  const chosen = flag ?? (env.CONSENTFLOW_WORKSPACE || undefined) ?? cwd;
  return isAbsolute(chosen) ? chosen : resolve(cwd, chosen);
}

/** Resolves the folders of the workspace at `root`, reading its config file when there is one; never throws. */
export async function workspacePaths(root: string): Promise<LoadResult<WorkspacePaths>> {
  if (!existsSync(root)) {
    return {
      ok: false,
      file: root,
      path: '',
      message:
        'does not exist; pass an existing folder with --workspace or CONSENTFLOW_WORKSPACE, or run `consentflow init` there',
    };
  }
  const configFile = configFileNames.find((n) => existsSync(join(root, n)));
  let config: WorkspaceConfig = WorkspaceConfig.parse({});
  if (configFile !== undefined) {
    const loaded = await importContentModule(join(root, configFile), configFile);
    if (!loaded.ok) return loaded;
    const value = singleExport(loaded, configFile, 'config', "export default { campaigns: 'campaigns' }");
    if (!value.ok) return value;
    const parsed = WorkspaceConfig.safeParse(value.value);
    if (!parsed.success) return problemsFailure(configFile, parsed.error.issues.map(issueProblem));
    config = parsed.data;
  }
  const at = (p: string): string => resolve(root, p);
  const paths = {
    root,
    policy: at(config.policy),
    campaigns: at(config.campaigns),
    segments: at(config.segments),
    templates: at(config.templates),
  };
  if (!existsSync(paths.policy) && !existsSync(paths.campaigns)) {
    return {
      ok: false,
      file: root,
      path: '',
      message:
        'is not a consentflow workspace (no policy/ or campaigns/ folder); pass one with --workspace DIR, or run `consentflow init` to create one',
    };
  }
  return { ok: true, value: paths };
}
