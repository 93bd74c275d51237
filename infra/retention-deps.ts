import { stat, unlink } from 'node:fs/promises';
import { namesIn } from './private-files.js';
import { join } from 'node:path';
import type { RetentionActivityDeps } from '../activities/retention.js';
import type { AppConfig } from './config.js';
import type { Services } from './compose.js';
import { reportsDirOf } from './reports/report-store.js';

/** Deletes the regular files in `dir` last modified before `cutoffMs`; a missing folder holds nothing. */
export async function deleteFilesOlderThan(dir: string, cutoffMs: number): Promise<string[]> {
  const names = await namesIn(dir);
  const removed: string[] = [];
  for (const name of names.sort()) {
    const file = join(dir, name);
    const st = await stat(file);
    if (!st.isFile() || st.mtimeMs >= cutoffMs) continue;
    await unlink(file);
    removed.push(name);
  }
  return removed;
}

/** Wires the retention activity's ports: shredding through the subject store, the bundle and report folders. */
export function retentionDeps(config: AppConfig, s: Services): Pick<RetentionActivityDeps, 'shredSubject' | 'expireFiles'> {
  const dirs = { access_bundle: join(config.dataDir, 'dsar'), report: reportsDirOf(config) } as const;
  return {
    shredSubject: (ref, source, now) => s.subjects.erase(ref, source, now),
    expireFiles: (cls, cutoffMs) => deleteFilesOlderThan(dirs[cls], cutoffMs),
  };
}
