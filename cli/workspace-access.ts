import { failureLine } from '../domain/load-result.js';
import type { PolicyBundle } from '../domain/policy.js';
import { loadWorkspace, loadWorkspacePolicy, type Workspace } from '../infra/workspace/load.js';
import { workspaceDir, workspacePaths, type WorkspacePaths } from '../infra/workspace/paths.js';
import { CliUsageError } from './context.js';

/** The workspace as the CLI sees it: chosen once, loaded on first use, each part at most once per run. */
export interface WorkspaceAccess {
  /** Records `--workspace` (undefined: CONSENTFLOW_WORKSPACE, else the current directory). */
  select(dir: string | undefined): void;
  /** Every campaign, segment and template, plus the policy; bad files are listed, not thrown. */
  workspace(): Promise<Workspace>;
  /** The workspace folders (a usage error when the folder is not a workspace). */
  paths(): Promise<WorkspacePaths>;
  /** The policy alone, for commands that need nothing else; a bad policy is a one-line usage error. */
  policy(): Promise<PolicyBundle>;
}

/** Lazy workspace loading for one CLI run; `--help` and commands that need no content never touch the files. */
export function workspaceAccess(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): WorkspaceAccess {
  let flag: string | undefined;
  let paths: Promise<WorkspacePaths> | undefined;
  let loaded: Promise<Workspace> | undefined;
  let policy: Promise<PolicyBundle> | undefined;
  const getPaths = (): Promise<WorkspacePaths> =>
    (paths ??= workspacePaths(workspaceDir(flag, env, cwd)).then((r) => {
      if (!r.ok) throw new CliUsageError(`workspace ${failureLine(r)}`);
      return r.value;
    }));
  return {
    select(dir) {
      flag = dir;
    },
    paths: getPaths,
    workspace: () => (loaded ??= getPaths().then(loadWorkspace)),
    policy: () =>
      (policy ??= (loaded ?? getPaths().then(loadWorkspacePolicy)).then((w) => {
        const r = 'paths' in w ? w.policy : w;
        if (!r.ok) throw new CliUsageError(`the workspace policy does not load: ${failureLine(r)}`);
        return r.value;
      })),
  };
}
