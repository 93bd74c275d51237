#!/usr/bin/env node
// Thin launcher: runs the TypeScript CLI through tsx so no build step is needed.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsxCli = require.resolve('tsx/cli');
const args = process.argv.slice(2);
// Long-running workers get a bounded old generation: V8 otherwise lets garbage pile up to hundreds of MB before
// collecting, which measured as the worker's peak RSS. CONSENTFLOW_WORKER_HEAP_MB overrides it.
const heapMb = Number(process.env.CONSENTFLOW_WORKER_HEAP_MB ?? 256);
const nodeFlags = ['worker', 'dev'].includes(args[0] ?? '') && heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : [];
const result = spawnSync(process.execPath, [...nodeFlags, tsxCli, join(root, 'cli.ts'), ...args], { stdio: 'inherit' });
process.exit(result.status ?? (result.signal ? 1 : 0));
