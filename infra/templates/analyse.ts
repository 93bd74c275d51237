import Handlebars from 'handlebars';
import { reservedRoots } from '../../domain/template.js';

type Node = hbs.AST.Node;
type Scope = { readonly prefix: string; readonly params: ReadonlyMap<string, string> };

/** What a template source reads: profile paths, reserved paths, and reserved paths printed unconditionally. */
export interface TemplateAnalysis {
  /** Dotted profile paths (relative paths inside `#each`/`#with` are resolved against the block's path). */
  readonly fields: readonly string[];
  readonly reserved: readonly string[];
  /** Reserved paths printed outside any block, so every rendering contains them (what lint relies on). */
  readonly reservedAlways: readonly string[];
}

/** A template uses a construct the engine does not allow (partials, decorators). */
export class TemplateSyntaxError extends Error {
  override readonly name = 'TemplateSyntaxError';
}

const join = (a: string, b: string): string => (a && b ? `${a}.${b}` : a || b);

// Names that reach built-in prototypes (a function's `name` and `length` are harmless data and common field names); a path or `lookup` key naming one is how template injection gets to Function.
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  ...Object.getOwnPropertyNames(Function.prototype).filter((n) => n !== 'name' && n !== 'length'),
  'prototype',
]);

const unsafe = (what: string, n: Node): TemplateSyntaxError =>
  new TemplateSyntaxError(
    `${what} (line ${n.loc.start.line}) reaches a built-in prototype; templates may read only profile fields and reserved variables`,
  );

// Rejects any path segment or literal `lookup` key that names a prototype property (`constructor`, `__proto__`, ...).
function checkSafe(n: Node): void {
  if (n.type === 'PathExpression') {
    const p = n as hbs.AST.PathExpression;
    const bad = p.parts.find((part) => PROTOTYPE_NAMES.has(part));
    if (bad !== undefined) throw unsafe(`"${p.original}" uses "${bad}"`, n);
  }
}
function checkLookup(call: hbs.AST.MustacheStatement | hbs.AST.SubExpression | hbs.AST.BlockStatement): void {
  const name = call.path.type === 'PathExpression' ? (call.path as hbs.AST.PathExpression).original : '';
  if (name !== 'lookup') return;
  for (const p of call.params) {
    if (p.type === 'StringLiteral' && PROTOTYPE_NAMES.has((p as hbs.AST.StringLiteral).value))
      throw unsafe(`lookup of "${(p as hbs.AST.StringLiteral).value}"`, p);
  }
}

/** Walks the Handlebars AST of `source` and lists every path it reads, resolving block scopes. */
export function analyseTemplate(source: string): TemplateAnalysis {
  const fields = new Set<string>();
  const reserved = new Set<string>();
  const always = new Set<string>();

  // Returns the root-relative path a PathExpression reads, or undefined for data variables like @index.
  const resolve = (p: hbs.AST.PathExpression, stack: readonly Scope[]): string | undefined => {
    if (p.data) return p.parts[0] === 'root' ? p.parts.slice(1).join('.') || undefined : undefined;
    const scope = stack[Math.max(0, stack.length - 1 - p.depth)] ?? { prefix: '', params: new Map() };
    const [head, ...rest] = p.parts;
    if (head !== undefined && p.depth === 0) {
      for (let i = stack.length - 1; i >= 0; i--) {
        const bound = stack[i]?.params.get(head);
        // An empty binding is an index/key block param: data, not a profile path.
        if (bound !== undefined) return bound === '' ? undefined : join(bound, rest.join('.'));
      }
    }
    return join(scope.prefix, p.parts.join('.')) || undefined;
  };

  const record = (path: string | undefined, printed: boolean, depth: number): void => {
    if (path === undefined) return;
    const root = path.split('.')[0] ?? path;
    if (!reservedRoots.has(root)) return void fields.add(path);
    reserved.add(path);
    if (printed && depth === 0) always.add(path);
  };

  const expr = (n: Node, stack: readonly Scope[], depth: number): void => {
    checkSafe(n);
    if (n.type === 'PathExpression') return record(resolve(n as hbs.AST.PathExpression, stack), false, depth);
    if (n.type === 'SubExpression') {
      const s = n as hbs.AST.SubExpression;
      checkSafe(s.path);
      checkLookup(s);
      s.params.forEach((x) => expr(x, stack, depth));
      s.hash?.pairs.forEach((pair) => expr(pair.value, stack, depth));
    }
  };

  const walk = (n: Node | undefined, stack: readonly Scope[], depth: number): void => {
    if (n === undefined) return;
    switch (n.type) {
      case 'Program':
        return (n as hbs.AST.Program).body.forEach((s) => walk(s, stack, depth));
      case 'MustacheStatement': {
        const m = n as hbs.AST.MustacheStatement;
        checkSafe(m.path);
        checkLookup(m);
        // Unescaped output is only for the reserved links and sender, which the engine validates; never a profile field.
        if (
          !m.escaped &&
          !(
            m.params.length === 0 &&
            m.path.type === 'PathExpression' &&
            reservedRoots.has((m.path as hbs.AST.PathExpression).parts[0] ?? '')
          )
        ) {
          const what = m.path.type === 'PathExpression' ? (m.path as hbs.AST.PathExpression).original : m.path.type;
          throw new TemplateSyntaxError(
            `unescaped output of "${what}" (line ${m.loc.start.line}) could inject HTML from a profile field; use {{${what}}} instead of {{{${what}}}}`,
          );
        }
        const isHelper = m.params.length > 0 || (m.hash?.pairs.length ?? 0) > 0;
        if (!isHelper && m.path.type === 'PathExpression')
          return record(resolve(m.path as hbs.AST.PathExpression, stack), true, depth);
        m.params.forEach((x) => expr(x, stack, depth));
        return m.hash?.pairs.forEach((pair) => expr(pair.value, stack, depth));
      }
      case 'BlockStatement': {
        const b = n as hbs.AST.BlockStatement;
        checkSafe(b.path);
        checkLookup(b);
        const helper = b.path.type === 'PathExpression' ? (b.path as hbs.AST.PathExpression).original : '';
        const isHelper = b.params.length > 0 || (b.hash?.pairs.length ?? 0) > 0;
        // `{{#each xs}}`/`{{#with x}}` take params; `{{#section}}` with none uses its path as the context.
        const subject = isHelper ? b.params[0] : b.path;
        if (isHelper) b.params.forEach((x) => expr(x, stack, depth));
        else expr(b.path, stack, depth);
        b.hash?.pairs.forEach((pair) => expr(pair.value, stack, depth));
        const scoped = !isHelper || helper === 'each' || helper === 'with';
        const target =
          subject?.type === 'PathExpression' ? resolve(subject as hbs.AST.PathExpression, stack) : undefined;
        const names = b.program?.blockParams ?? [];
        const params = new Map<string, string>();
        if (target !== undefined && names[0] !== undefined && scoped) params.set(names[0], target);
        for (const extra of names.slice(1)) params.set(extra, '');
        const inner: readonly Scope[] = scoped && target !== undefined ? [...stack, { prefix: target, params }] : stack;
        walk(b.program, inner, depth + 1);
        return walk(b.inverse, stack, depth + 1);
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
      case 'DecoratorBlock':
      case 'Decorator':
        throw new TemplateSyntaxError(
          `partials and decorators are not supported (line ${n.loc.start.line}); inline the content instead`,
        );
      default:
        return;
    }
  };

  walk(Handlebars.parse(source), [{ prefix: '', params: new Map() }], 0);
  return { fields: [...fields].sort(), reserved: [...reserved].sort(), reservedAlways: [...always].sort() };
}

/** Every profile path a template reads, sorted; reserved `links.*` and `sender.*` are excluded. */
export function referencedFields(templateSource: string): string[] {
  return [...analyseTemplate(templateSource).fields];
}
