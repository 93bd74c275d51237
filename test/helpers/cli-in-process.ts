import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runCommand } from '../../cli.js';
import type { CliRun } from './cli.js';

const root = join(import.meta.dirname, '..', '..');

interface Output {
  stdout: string;
  stderr: string;
}

// Only writes made from inside a run are captured: the test runner reports through this process's stdout too, and
// its writes (from its own async context) must reach it untouched while a command runs.
const output = new AsyncLocalStorage<Output>();
let queue: Promise<unknown> = Promise.resolve();

type Write = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;

function divert(stream: NodeJS.WriteStream, into: keyof Output): () => void {
  const own = Object.getOwnPropertyDescriptor(stream, 'write');
  const original = stream.write as Write;
  const write: Write = function (this: NodeJS.WriteStream, chunk, encoding, cb) {
    const out = output.getStore();
    if (!out) return original.call(this, chunk, encoding, cb);
    out[into] += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  };
  stream.write = write as typeof stream.write;
  return () => {
    if (own) Object.defineProperty(stream, 'write', own);
    else delete (stream as Partial<NodeJS.WriteStream>).write;
  };
}

// A spawned command reads a closed pipe holding `input`; the in-process one reads the same bytes.
function replaceStdin(input: string): () => void {
  const own = Object.getOwnPropertyDescriptor(process, 'stdin')!;
  let fake: Readable | undefined;
  Object.defineProperty(process, 'stdin', {
    configurable: true,
    enumerable: true,
    get: () => (fake ??= Readable.from(input ? [Buffer.from(input)] : [])),
  });
  return () => Object.defineProperty(process, 'stdin', own);
}

function applyEnv(env: Readonly<Record<string, string | undefined>>): () => void {
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  const set = (k: string, v: string | undefined) => {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  for (const [k, v] of Object.entries(env)) set(k, v);
  return () => {
    for (const [k, v] of saved) set(k, v);
  };
}

async function runOnce(args: readonly string[], env: Readonly<Record<string, string | undefined>>, input: string) {
  const out: Output = { stdout: '', stderr: '' };
  const cwd = process.cwd();
  const exitCode = process.exitCode;
  const restore = [
    applyEnv(env),
    divert(process.stdout, 'stdout'),
    divert(process.stderr, 'stderr'),
    replaceStdin(input),
  ];
  try {
    process.chdir(root);
    process.exitCode = undefined;
    // A fresh context per run (runCommand's default): config, policy and clients are read from this run's env.
    const code = await output.run(out, () => runCommand(args).catch(() => 1));
    return { code, stdout: out.stdout, stderr: out.stderr };
  } finally {
    process.exitCode = exitCode;
    process.chdir(cwd);
    for (const undo of restore.reverse()) undo();
  }
}

/**
 * Runs `consentflow …` inside the test process, as `runCli` does in a child (same env overlay, cwd, stdin and
 * result), without a process start and module load per command. Runs are queued one at a time, since each swaps
 * process-wide state (env, stdout/stderr, stdin, exit code) for its duration. JSON logs from pino loggers (api,
 * complaint arf) go to file descriptor 2 directly, so they reach the test's stderr rather than the result.
 */
export function runCliInProcess(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  opts: { input?: string } = {},
): Promise<CliRun> {
  const run = queue.then(() => runOnce(args, env, opts.input ?? ''));
  queue = run.catch(() => undefined);
  return run;
}
