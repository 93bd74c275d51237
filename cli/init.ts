import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliUsageError, type RegisterCommands } from './context.js';
import { scaffold } from './init/content.js';

/** Writes the scaffold into `dir`; refuses (writing nothing) when any of its files already exists. */
export function writeScaffold(dir: string): string[] {
  const taken = Object.keys(scaffold).filter((f) => existsSync(join(dir, f)));
  if (taken.length)
    throw new CliUsageError(
      `${dir} already has ${taken.join(', ')}; choose an empty folder (consentflow init <dir>) so nothing is overwritten`,
    );
  for (const [file, content] of Object.entries(scaffold)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  return Object.keys(scaffold);
}

/** `init [dir]`: a small workspace with a policy, a segment, a campaign with a branch, two templates and a CSV. */
export const registerInitCommands: RegisterCommands = (program, ctx) => {
  program
    .command('init')
    .description(
      'create a workspace: policy, a segment, a campaign with a branch, two templates, a sample CSV and a README',
    )
    .argument('[dir]', 'folder to create it in', '.')
    .option('--json', 'print the files written as JSON')
    .action((dir: string, o: { json?: boolean }) => {
      const target = resolve(dir);
      const files = writeScaffold(target);
      ctx.print(o.json, { dir: target, files }, () =>
        [
          `created a consentflow workspace in ${target}:`,
          ...files.map((f) => `  ${f}`),
          `next: see ${join(target, 'README.md')}`,
        ].join('\n'),
      );
    });
};
