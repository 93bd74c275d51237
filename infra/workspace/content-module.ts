import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transformSync, type TransformFailure } from 'esbuild';
import { register } from 'tsx/esm/api';
import { issueProblem, type DefinitionProblem, type LoadFailure } from '../../domain/load-result.js';

/** A content module's exports, or the one failure that stopped it loading. */
export type ModuleLoad = { readonly ok: true; readonly exports: Readonly<Record<string, unknown>> } | LoadFailure;

let tsLoaderRegistered = false;

// Workspace files are TypeScript loaded at run time, also from the built package under plain node, so tsx's loader
// is registered once per process (a process-wide hook by nature, not state we could inject).
function ensureTsLoader(): void {
  if (tsLoaderRegistered) return;
  register();
  tsLoaderRegistered = true;
}

/** Turns a list of definition problems into one failure: the first problem, with a count of the rest. */
export function problemsFailure(file: string, problems: readonly DefinitionProblem[]): LoadFailure {
  const first = problems[0] ?? { path: '', message: 'is invalid' };
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s) in this file)` : '';
  return { ok: false, file, path: first.path, message: `${first.message}${more}` };
}

function syntaxFailure(source: string, file: string, shownAs: string): LoadFailure | undefined {
  try {
    transformSync(source, {
      loader: extname(file).endsWith('ts') ? 'ts' : 'js',
      format: 'esm',
      sourcefile: shownAs,
      logLevel: 'silent',
    });
    return undefined;
  } catch (e) {
    const err = (e as TransformFailure).errors?.[0];
    if (!err) return { ok: false, file: shownAs, path: '', message: `cannot be parsed: ${(e as Error).message}` };
    const at = err.location ? `:${err.location.line}:${err.location.column + 1}` : '';
    return {
      ok: false,
      file: `${shownAs}${at}`,
      path: '',
      message: `syntax error: ${err.text}; fix the code at that position`,
    };
  }
}

// Errors thrown while a module evaluates (defineCampaign, defineSegment, a schema parse) carry their problems; the
// shape is checked rather than the class, since the workspace may hold its own copy of the domain modules.
function evaluationFailure(e: unknown, shownAs: string): LoadFailure {
  const err = e as { problems?: unknown; issues?: unknown; message?: unknown; campaignId?: unknown };
  if (Array.isArray(err.problems) && err.problems.every((p) => typeof (p as DefinitionProblem).path === 'string')) {
    const id = typeof err.campaignId === 'string' && err.campaignId !== '(no id)' ? { id: err.campaignId } : {};
    return { ...problemsFailure(shownAs, err.problems as DefinitionProblem[]), ...id };
  }
  if (Array.isArray(err.issues))
    return problemsFailure(shownAs, (err.issues as Parameters<typeof issueProblem>[0][]).map(issueProblem));
  const message = typeof err.message === 'string' ? err.message.split('\n')[0] : String(e);
  return { ok: false, file: shownAs, path: '', message: `failed to load: ${message}` };
}

/** Imports one workspace file (TypeScript or JavaScript) without ever throwing; `shownAs` is how errors name it. */
export async function importContentModule(file: string, shownAs: string): Promise<ModuleLoad> {
  let source: string;
  let version: number;
  try {
    source = readFileSync(file, 'utf8');
    version = statSync(file).mtimeMs;
  } catch (e) {
    return { ok: false, file: shownAs, path: '', message: `cannot be read: ${(e as Error).message}` };
  }
  const syntax = syntaxFailure(source, file, shownAs);
  if (syntax) return syntax;
  ensureTsLoader();
  try {
    // The query makes an edited file load afresh in a long-running process instead of the cached first version.
    const exports = (await import(`${pathToFileURL(file).href}?v=${version}`)) as Record<string, unknown>;
    return { ok: true, exports };
  } catch (e) {
    return evaluationFailure(e, shownAs);
  }
}

/** The single value a content file exports: its default export, else its one named export. */
export function singleExport(
  loaded: { exports: Readonly<Record<string, unknown>> },
  shownAs: string,
  what: string,
  example: string,
): { ok: true; value: unknown } | LoadFailure {
  if (loaded.exports.default !== undefined) return { ok: true, value: loaded.exports.default };
  const names = Object.keys(loaded.exports).filter((k) => loaded.exports[k] !== undefined);
  if (names.length === 1) return { ok: true, value: loaded.exports[names[0]!] };
  const why = names.length === 0 ? `exports no ${what}` : `exports ${names.length} values (${names.join(', ')})`;
  return {
    ok: false,
    file: shownAs,
    path: '',
    message: `${why}; a ${what} file exports exactly one ${what}, like ${example}`,
  };
}
