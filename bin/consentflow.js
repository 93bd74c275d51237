#!/usr/bin/env node
// Thin launcher: runs the CLI (in a checkout its TypeScript sources through tsx, so no build step is needed; installed,
// the built dist/cli.js) in a child process so that long runners get a bounded heap. The child never outlives the launcher: signals are forwarded, the exit code is passed
// through, and if the launcher dies anyhow (even SIGKILL) the child sees its IPC channel close and shuts down.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runnerOptions } from './runner-options.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
// Long runners (worker, dev) get their heap sizes and malloc arenas set (runner-options.js).
let runner;
try {
  runner = runnerOptions(args[0]);
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exit(2);
}
// A checkout runs the TypeScript sources; the installed package ships only the built dist/cli.js.
const source = join(root, 'cli.ts');
// tsx as a loader in this one child (its own CLI would add a third process between us and the work).
const tsxLoader = () => pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const entry = existsSync(source) ? ['--import', tsxLoader(), source] : [join(root, 'dist', 'cli.js')];
const child = spawn(process.execPath, [...runner.nodeFlags, ...entry, ...args], {
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  env: { ...process.env, ...runner.env, CONSENTFLOW_LAUNCHED: '1' },
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    // The child treats repeats as one shutdown, so a terminal Ctrl-C that reached both of us is harmless.
    if (child.exitCode === null) child.kill(sig);
  });
}
child.on('error', (e) => {
  console.error(`error: cannot start the CLI: ${e.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
