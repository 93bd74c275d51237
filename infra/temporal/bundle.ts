import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// TypeScript in a checkout, JavaScript in the built package (dist/).
const workflowsEntry =
  [join(root, 'workflows', 'index.ts'), join(root, 'workflows', 'index.js')].find((f) => existsSync(f)) ??
  join(root, 'workflows', 'index.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory()
      ? sourceFiles(full)
      : /\.[jt]s$/.test(name) && !name.endsWith('.d.ts')
        ? [full]
        : [];
  });
}

/** A hash of everything the workflow bundle is built from: the sandboxed code and the locked SDK version. */
function sourceHash(): string {
  const h = createHash('sha256');
  // The lock pins the SDK in a checkout; an installed package has only its package.json.
  const lock = existsSync(join(root, 'package-lock.json'))
    ? join(root, 'package-lock.json')
    : join(root, '..', 'package.json');
  for (const f of [...sourceFiles(join(root, 'workflows')), ...sourceFiles(join(root, 'domain')), lock].sort()) {
    h.update(f.slice(root.length)).update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Returns the path of a prebuilt workflow bundle, building it in a child process when the sources changed.
 * Bundling (webpack) costs a few hundred MB; doing it out of process keeps the long-lived worker small.
 */
export function prebuiltWorkflowBundle(cacheDir: string): string {
  const file = join(cacheDir, `workflow-bundle-${sourceHash()}.js`);
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const script = `import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
const { code } = await bundleWorkflowCode({ workflowsPath: ${JSON.stringify(workflowsEntry)}, logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } });
writeFileSync(${JSON.stringify(tmp)}, code);`;
  const loader = workflowsEntry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const r = spawnSync(process.execPath, [...loader, '--input-type=module', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0 || !existsSync(tmp)) throw new Error(`building the workflow bundle failed (exit ${r.status})`);
  renameSync(tmp, file);
  return file;
}
