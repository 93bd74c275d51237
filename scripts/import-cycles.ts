// Lint step (`npm run lint`): no import circles between the project's own modules, type-only imports included. When
// two files import each other, the shared piece belongs one layer down (usually domain/). TypeScript reads and
// resolves every import exactly as tsc does; what is left here is finding the strongly connected components.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Each project file (absolute path) with the project files it imports, statically, as a type or dynamically. */
export function importGraph(tsconfigPath: string): Map<string, string[]> {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    tsconfigPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error(`${tsconfigPath} cannot be read`);
  const files = new Set(parsed.fileNames.filter((f) => !f.endsWith('.d.ts')));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const imports = ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles;
    const targets = imports.flatMap(({ fileName }) => {
      const resolved = ts.resolveModuleName(fileName, file, parsed.options, ts.sys).resolvedModule?.resolvedFileName;
      return resolved !== undefined && files.has(resolved) && resolved !== file ? [resolved] : [];
    });
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The circles of a graph (Tarjan's strongly connected components of two or more files), each sorted. */
export function importCycles(
  graph: ReadonlyMap<string, readonly string[]>,
  ignore: (from: string, to: string) => boolean = () => false,
): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (ignore(v, w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const rel = (f: string): string => relative(root, f);
  const cycles = importCycles(importGraph(join(root, 'tsconfig.json')));
  for (const c of cycles) {
    console.error(
      `error: import circle between ${c.map(rel).join(', ')}: move what they share into a module of its own, one layer down (usually domain/)`,
    );
  }
  process.exitCode = cycles.length ? 1 : 0;
}
