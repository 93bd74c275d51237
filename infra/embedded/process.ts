import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A service process the project started, and how to stop it. */
export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Raised when a service cannot be obtained or started; the message names the cause and the fix. */
export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
}

const live = new Set<ManagedProcess>();
const cleanups: Array<() => Promise<void>> = [];
let hooked = false;

/** Registers graceful cleanup (drain a worker, remove a runtime file) that runs on Ctrl-C/SIGTERM before children are killed. */
export function onShutdown(fn: () => Promise<void>): void {
  hookExit();
  cleanups.push(fn);
}

// Children must not outlive us: on exit, Ctrl-C or a crash every started process gets SIGTERM.
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = (): void => {
    for (const p of live) {
      try {
        p.child.kill('SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', killAll);
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // One shutdown per process: a Ctrl-C reaches us both from the terminal and through the launcher, and a second
    // signal killing us mid-cleanup would orphan Redis and Temporal. The 15 s deadline still bounds it.
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      const graceful = Promise.allSettled(cleanups.reverse().map((fn) => fn()));
      const deadline = new Promise((r) => setTimeout(r, 15_000).unref());
      void Promise.race([graceful, deadline]).then(async () => {
        await Promise.allSettled([...live].map((p) => p.stop()));
        process.exit(sig === 'SIGINT' ? 130 : 143);
      });
    });
  }
}

/** Spawns a long-running service and registers it for cleanup on exit. */
export function spawnService(
  name: string,
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; umask?: number } = {},
): ManagedProcess {
  hookExit();
  // Node cannot set a child's umask; `sh -c 'umask …; exec'` does, and exec keeps the PID we stop it by.
  const [file, argv] =
    opts.umask === undefined
      ? [cmd, args]
      : ['/bin/sh', ['-c', `umask ${opts.umask.toString(8).padStart(3, '0')} && exec "$0" "$@"`, cmd, ...args]];
  const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (b: Buffer): void => {
    tail = (tail + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const managed: ManagedProcess = {
    name,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        live.delete(managed);
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
  Object.defineProperty(managed, 'output', { get: () => tail });
  live.add(managed);
  return managed;
}

/** The last few KB a managed process printed, for error messages. */
export function outputOf(p: ManagedProcess): string {
  return (p as unknown as { output: string }).output ?? '';
}

/** Asks the OS for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something already listens on host:port. */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Polls `probe` until it resolves true, the process dies, or the deadline passes. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  proc?: ManagedProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new ServiceStartError(
        `${what} exited during start-up (code ${proc.child.exitCode ?? proc.child.signalCode}). Its last output:\n${outputOf(proc).trim()}`,
      );
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new ServiceStartError(
        `${what} did not become ready within ${timeoutMs / 1000}s. Its last output:\n${proc ? outputOf(proc).trim() : '(none)'}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Finds an executable on PATH, or undefined. */
export function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const full = join(dir, bin);
    try {
      if (statSync(full).isFile()) {
        accessSync(full, constants.X_OK);
        return full;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The per-user cache for binaries the project builds; kept outside the repo so clones share it. */
export function cacheDir(): string {
  return (
    process.env.CONSENTFLOW_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'consentflow')
  );
}

/** Installs a Debian package with apt-get when running as root; true when it installed cleanly. */
export function aptInstall(pkg: string, why: string): boolean {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) return false;
  console.error(`[setup] ${why}; installing Debian package ${pkg} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return (
    spawnSync('apt-get', ['install', '-y', '-q', pkg], { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0
  );
}

/**
 * Finds a tool that comes from a Debian package: the path in `override` (an env var) if set, else on PATH or in
 * /usr/bin, else installs `pkg` with apt when root; otherwise throws saying how to get it.
 */
export function obtainDebianTool(o: { override: string; bin: string; pkg: string; neededBy: string }): string {
  const explicit = process.env[o.override];
  if (explicit) {
    if (!existsSync(explicit))
      throw new ServiceStartError(
        `${o.override}=${explicit} does not exist; point it at a ${o.bin} binary or unset it.`,
      );
    return explicit;
  }
  const usrBin = `/usr/bin/${o.bin}`;
  const found = onPath(o.bin) ?? (existsSync(usrBin) ? usrBin : undefined);
  if (found) return found;
  if (aptInstall(o.pkg, `${o.bin} not found (needed by ${o.neededBy})`) && existsSync(usrBin)) return usrBin;
  throw new ServiceStartError(
    `${o.bin} is not installed; ${o.neededBy} need it (Debian: apt-get install ${o.pkg}), or set ${o.override}.`,
  );
}
