import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { importCycles, importGraph } from '../../scripts/import-cycles.js';

// A small project with one circle through a type-only import, one through a dynamic import, and a plain chain.
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-cycles-'));
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true },
      include: ['**/*.ts'],
    }),
    'a.ts': "import { b } from './b.js';\nexport const a = (): number => b + 1;\n",
    'b.ts': "import type { a } from './a.js';\nexport const b = 1;\nexport type A = typeof a;\n",
    'c.ts':
      "import { a } from './a.js';\nimport { readFileSync } from 'node:fs';\nexport const c = [a, readFileSync];\n",
    'd.ts': "export const d = () => import('./e.js');\n",
    'e.ts': "import { d } from './d.js';\nexport const e = d;\n",
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('finds every import circle, type-only and dynamic imports included, and leaves chains and packages alone', () => {
  const dir = project();
  const graph = importGraph(join(dir, 'tsconfig.json'));
  assert.deepEqual(graph.get(join(dir, 'c.ts')), [join(dir, 'a.ts')]);
  assert.deepEqual(
    importCycles(graph).map((c) => c.map((f) => f.slice(dir.length + 1))),
    [
      ['a.ts', 'b.ts'],
      ['d.ts', 'e.ts'],
    ],
  );
});

test('an ignored edge breaks only the circle it is part of', () => {
  const dir = project();
  const cycles = importCycles(
    importGraph(join(dir, 'tsconfig.json')),
    (from, to) => from.endsWith('b.ts') && to.endsWith('a.ts'),
  );
  assert.deepEqual(
    cycles.map((c) => c.map((f) => f.slice(dir.length + 1))),
    [['d.ts', 'e.ts']],
  );
});
