import type { z } from 'zod';

/** What loading one piece of content gives: the value, or where it is wrong and how to fix it (never a throw). */
export type LoadResult<T> = { readonly ok: true; readonly value: T } | LoadFailure;

/** One piece of content that did not load: the file, the property path inside it, and a message with the fix. */
export interface LoadFailure {
  readonly ok: false;
  /** The id the content declared, when that much could be read. */
  readonly id?: string;
  readonly file: string;
  readonly path: string;
  readonly message: string;
}

/** A problem inside a definition, before it is tied to a file. */
export interface DefinitionProblem {
  readonly path: string;
  readonly message: string;
}

/** Formats a path array the way people write it: `steps[1].duration`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out;
}

/** One zod issue as a definition problem; unknown keys name the key and say to remove it. */
export function issueProblem(issue: z.core.$ZodIssue): DefinitionProblem {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return {
      path: formatPath([...issue.path, ...(issue.keys.length === 1 ? [issue.keys[0]!] : [])]),
      message: `unknown key ${keys}; remove it or check its spelling`,
    };
  }
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    const path = formatPath(issue.path);
    if (issue.input === undefined) return { path, message: `is missing; add it (a ${issue.expected})` };
    // Objects and arrays are not echoed whole: the type is enough to see the mistake.
    if (issue.input !== null && typeof issue.input === 'object')
      return {
        path,
        message: `is ${Array.isArray(issue.input) ? 'a list' : 'an object'}, not a ${issue.expected}; write a ${issue.expected} here`,
      };
    return { path, message: `${shown(issue.input)} is not a ${issue.expected}; write a ${issue.expected} here` };
  }
  return { path: formatPath(issue.path), message: issue.message };
}

function shown(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** The one line a person reads: `campaigns/cart.ts: steps[1].duration: "-3d" is not a duration (…)`. */
export function failureLine(f: Pick<LoadFailure, 'file' | 'path' | 'message'>): string {
  // Parser messages can span lines (a caret under the source); the output contract is one line per file.
  return `${f.file}: ${f.path === '' ? '' : `${f.path}: `}${f.message}`.replace(/\s*\n\s*/g, ' ');
}
