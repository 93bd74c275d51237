import type Handlebars from 'handlebars';
import { reservedRoots } from '../../domain/template.js';

/** A compiled template part: context in, text out, with prototype access off. */
export type RenderPart = (ctx: Record<string, unknown>) => string;

// Explicit, so a later Handlebars default or a global allow-list can never switch prototype access back on.
const RUNTIME = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
  allowedProtoProperties: {},
  allowedProtoMethods: {},
};

// Defence in depth behind lint: any unescaped `{{{x}}}`/`{{& x}}` that is not a reserved variable is escaped anyway.
function forceEscape(program: hbs.AST.Program): void {
  const visit = (n: hbs.AST.Node | undefined): void => {
    if (n === undefined) return;
    if (n.type === 'Program') return (n as hbs.AST.Program).body.forEach(visit);
    if (n.type === 'MustacheStatement') {
      const m = n as hbs.AST.MustacheStatement;
      const root = m.path.type === 'PathExpression' ? (m.path as hbs.AST.PathExpression).parts[0] : undefined;
      if (!m.escaped && !(m.params.length === 0 && root !== undefined && reservedRoots.has(root))) m.escaped = true;
    }
    if (n.type === 'BlockStatement') {
      visit((n as hbs.AST.BlockStatement).program);
      visit((n as hbs.AST.BlockStatement).inverse);
    }
  };
  visit(program);
}

/** Compiles one part in a private Handlebars environment: strict, built-in helpers only, prototype access off. */
export function compilePart(hb: typeof Handlebars, source: string, escape: boolean): RenderPart {
  const ast = hb.parse(source);
  if (escape) forceEscape(ast);
  // strict: a missing field throws; knownHelpersOnly: a path called with arguments is refused at compile time.
  const fn = hb.compile(ast, { strict: true, knownHelpersOnly: true, noEscape: !escape });
  return (ctx) => fn(ctx, RUNTIME);
}
