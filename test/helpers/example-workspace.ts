import { join } from 'node:path';
import type { TemplatePort } from '../../activities/send-pipeline.js';
import { openWorkspace, type Workspace } from '../../infra/workspace/load.js';
import { workerContent, type WorkerContent } from '../../worker.js';

/** The repository root: its policy/, campaigns/ and segments/ are the example workspace. */
export const exampleRoot = join(import.meta.dirname, '..', '..');

let loaded: Promise<Workspace> | undefined;

/** The example workspace, loaded through the real loader once per test process. */
export function exampleWorkspace(): Promise<Workspace> {
  return (loaded ??= openWorkspace(exampleRoot));
}

/** What a worker serves from the example workspace; `templates` swaps the template port for a test. */
export async function exampleContent(templates?: TemplatePort): Promise<WorkerContent> {
  const content = workerContent(await exampleWorkspace());
  return templates ? { ...content, templates } : content;
}
