// A worker's V8 CPU profile (--cpu-prof) summed by where the time went: each sample is charged to the innermost
// frame that belongs to a package or to a project file (node's own internals count for the code that called them),
// so "nodemailer" includes the streams it drives. Prints shares and ms per message; not a timed test.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}
interface Profile {
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * The package (node_modules/<name>) or project folder/file a frame's script belongs to (a built file under dist/ as
 * its source), or undefined for node's own.
 */
function ownerOf(url: string, root: string): string | undefined {
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith(root))
    return path
      .slice(root.length + 1)
      .replace(/^dist\//, '')
      .replace(/\.[cm]?[jt]s$/, '');
  return undefined;
}

/**
 * The profiles of the newest process in `dir`, one per thread (node names them CPU.<date>.<time>.<pid>.<thread>.<n>):
 * the main thread and the workflow threads the Temporal worker runs.
 */
export function newestProcessProfiles(dir: string): string[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const pidOf = (f: string) => /CPU\.\d+\.\d+\.(\d+)\./.exec(f)?.[1];
  const pid = files[0] === undefined ? undefined : pidOf(files[0]);
  return pid === undefined ? [] : files.filter((f) => pidOf(f) === pid);
}

/**
 * Profiled ms per owner (package, project file, or a V8 pseudo-node such as "(garbage collector)"), over every file,
 * leaving out the first `skipMs` after the earliest profile started (the process's start-up: loading, bundling).
 */
export function profileBreakdown(
  files: readonly string[],
  root: string,
  skipMs = 0,
): { total_ms: number; owners: Map<string, number> } {
  const profiles = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Profile);
  // Every thread's profile counts time on the same monotonic clock, in microseconds.
  const from = Math.min(...profiles.map((p) => p.startTime)) + skipMs * 1000;
  const owners = new Map<string, number>();
  let total = 0;
  for (const p of profiles) {
    const one = breakdownOf(p, root, from);
    total += one.total_ms;
    for (const [o, ms] of one.owners) owners.set(o, (owners.get(o) ?? 0) + ms);
  }
  return { total_ms: total, owners };
}

function breakdownOf(p: Profile, root: string, from: number): { total_ms: number; owners: Map<string, number> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map<number, string>();
  const ownerOfNode = (id: number): string => {
    const known = owner.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id)!;
    const f = n.callFrame;
    const own = f.url ? ownerOf(f.url, root) : f.functionName.startsWith('(') ? f.functionName : undefined;
    const up = parent.get(id);
    const o =
      own === '(root)' ? '(node internals)' : (own ?? (up === undefined ? '(node internals)' : ownerOfNode(up)));
    owner.set(id, o);
    return o;
  };
  const owners = new Map<string, number>();
  let total = 0;
  let at = p.startTime;
  p.samples.forEach((id, i) => {
    at += p.timeDeltas[i] ?? 0;
    if (at < from) return;
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    const o = ownerOfNode(id);
    if (o === '(idle)') return;
    owners.set(o, (owners.get(o) ?? 0) + ms);
    total += ms;
  });
  return { total_ms: total, owners };
}

/** The profile's figures per message sent: the total and the 20 largest owners with their shares. */
export function profilePerMessage(
  files: readonly string[],
  root: string,
  skipMs: number,
  sent: number,
): Record<string, unknown> {
  const { total_ms, owners } = profileBreakdown(files, root, skipMs);
  const per = (ms: number) => Number((ms / Math.max(1, sent)).toFixed(3));
  const top = [...owners].sort((a, b) => b[1] - a[1]).slice(0, 20);
  return {
    skipped_startup_s: Number((skipMs / 1000).toFixed(2)),
    files: files.length,
    profiled_ms_per_message: per(total_ms),
    owners: Object.fromEntries(
      top.map(([o, ms]) => [o, { ms_per_message: per(ms), share: Number((ms / total_ms).toFixed(3)) }]),
    ),
  };
}
