import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { z } from 'zod';
import {
  DEFAULT_TEMPLATE_LANGUAGE,
  promotionalTerms,
  reservedVariables,
  type TemplateFacts,
  type TemplateMeta,
} from '../../domain/template.js';
import { analyseTemplate, TemplateSyntaxError } from './analyse.js';
import { compilePart, type RenderPart } from './compile.js';
import { parseTemplateFile, TemplateLoadError } from './template-file.js';
import { checkVariant, variantName, withVariants } from './variants.js';

export { referencedFields } from './analyse.js';
export { TemplateLoadError } from './template-file.js';

/** Everything a render gets besides profile fields: the opt-out, why and preference links and the sender. */
export const RenderReserved = z.object({
  // Plain objects (extra keys stripped): only the documented reserved variables reach a template.
  links: z.object({ unsubscribe: z.url(), why: z.url(), preferences: z.url() }),
  sender: z.object({ name: z.string().min(1), postalAddress: z.string().min(1), email: z.string().min(1) }),
});
export type RenderReserved = z.infer<typeof RenderReserved>;

/** Input to `render`: only the fields the guard released, plus the reserved variables (checked by RenderReserved). */
export interface RenderInput {
  readonly fields: Readonly<Record<string, string | number | undefined>>;
  /** The subject's language; the matching variant renders, else the template itself. */
  readonly language?: string;
  readonly links: Readonly<Record<string, string>>;
  readonly sender: Readonly<Record<string, string>>;
  /** The sender's postal address per language: the footer shows the one written in the language that rendered. */
  readonly postalAddresses?: Readonly<Record<string, string>>;
}

/** A rendered message; `subject` is a single line (no header injection through a field value). */
export interface RenderedMessage {
  /** The language of the variant that rendered. */
  readonly language: string;
  readonly subject?: string;
  readonly text: string;
  readonly html?: string;
}

/** Rendering failed: unknown template, a field that was not supplied, or bad reserved input. */
export class TemplateRenderError extends Error {
  override readonly name = 'TemplateRenderError';
  constructor(
    message: string,
    readonly templateId: string,
    readonly missingFields: readonly string[] = [],
  ) {
    super(message);
  }
}

interface Entry {
  readonly facts: TemplateFacts;
  /** Other languages of the same message, by tag. */
  readonly variants: Map<string, Entry>;
  readonly roots: readonly string[];
  readonly subject?: RenderPart;
  readonly text: RenderPart;
  readonly html?: RenderPart;
}

/** Loaded, compiled templates, keyed by id; compiled once at load and reused for every render. */
export interface TemplateRegistry {
  readonly dir: string;
  ids(): string[];
  meta(id: string): TemplateMeta | undefined;
  /** Metadata plus static analysis, in the shape `lintCampaign` reads. */
  facts(): ReadonlyMap<string, TemplateFacts>;
  /** Renders strictly: every field the template reads must be supplied, or this throws TemplateRenderError. */
  render(id: string, input: RenderInput): RenderedMessage;
  /** How many Handlebars compilations this registry did (one per template part, at load). */
  compileCount(): number;
}

const known = new Set<string>(reservedVariables);

/**
 * Reads every `*.hbs` file in `dir`, validates its front matter, analyses and compiles it. Throws TemplateLoadError,
 * unless `onFailure` is given: then a bad file is reported there and left out, so the other templates still load.
 */
export function loadTemplates(dir: string, onFailure?: (file: string, message: string) => void): TemplateRegistry {
  const names =
    onFailure && !existsSync(dir)
      ? []
      : readdirSync(dir)
          .filter((n) => n.endsWith('.hbs'))
          .sort();
  return compileTemplates(
    dir,
    names.map((name) => ({ name, source: () => readFileSync(join(dir, name), 'utf8') })),
    onFailure,
  );
}

/** One template file's name and its text (read lazily, so an unreadable file is that file's failure). */
export interface TemplateSource {
  readonly name: string;
  readonly source: string | (() => string);
}

/** Compiles template files given as text (a deployed bundle's, or a folder's); same checks and failure handling as loadTemplates. */
export function compileTemplates(
  dir: string,
  files: readonly TemplateSource[],
  onFailure?: (file: string, message: string) => void,
): TemplateRegistry {
  // A private environment: helpers or partials registered globally elsewhere never reach our templates.
  const hb = Handlebars.create();
  let compiles = 0;
  const compile = (src: string, escape: boolean): RenderPart => {
    compiles++;
    return compilePart(hb, src, escape);
  };
  const entries = new Map<string, Entry>();
  // Templates first, then their language variants, which are checked against the template they translate.
  const ordered = [
    ...files.filter((f) => variantName(f.name) === undefined),
    ...files.filter((f) => variantName(f.name) !== undefined),
  ];
  for (const { name, source } of ordered) {
    const file = join(dir, name);
    try {
      loadEntry(file, name, typeof source === 'string' ? source : source());
    } catch (e) {
      if (!onFailure || !(e instanceof TemplateLoadError)) throw e;
      onFailure(file, (e.message.startsWith(file) ? e.message.slice(file.length).replace(/^:/, '') : e.message).trim());
    }
  }
  function loadEntry(file: string, name: string, text: string): void {
    const { meta, parts, body } = parseTemplateFile(text, file);
    const variant = variantName(name);
    if (variant === undefined && name !== `${meta.id}.hbs`)
      throw new TemplateLoadError(
        `${file}: id "${meta.id}" does not match the file name; rename the file to ${meta.id}.hbs`,
      );
    const base = variant === undefined ? undefined : checkVariant(file, meta, variant, entries.get(variant.id));
    const reservedByPart: Record<string, readonly string[]> = {};
    const fields = new Set<string>();
    for (const [part, src] of Object.entries(parts)) {
      let a;
      try {
        a = analyseTemplate(src);
      } catch (e) {
        const why = e instanceof TemplateSyntaxError ? e.message : `Handlebars syntax: ${(e as Error).message}`;
        throw new TemplateLoadError(`${file} (${part}): ${why}`);
      }
      const unknown = a.reserved.filter((r) => !known.has(r));
      if (unknown.length)
        throw new TemplateLoadError(
          `${file} (${part}): unknown reserved variable(s) ${unknown.join(', ')}; use one of ${reservedVariables.join(', ')}`,
        );
      a.fields.forEach((f) => fields.add(f));
      if (part !== 'subject') reservedByPart[part] = a.reservedAlways;
    }
    const referenced = [...fields].sort();
    const facts: TemplateFacts = {
      ...meta,
      lang: meta.lang ?? DEFAULT_TEMPLATE_LANGUAGE,
      referencedFields: referenced,
      reservedByPart,
      promotionalTerms: promotionalTerms(`${meta.subject ?? ''}\n${body}`),
      ...(meta.channel === 'sms' ? { smsSource: parts.text } : {}),
    };
    const entry: Entry = {
      facts,
      variants: new Map(),
      roots: [...new Set(referenced.map((p) => p.split('.')[0] ?? p))],
      ...(parts.subject === undefined ? {} : { subject: compile(parts.subject, false) }),
      text: compile(parts.text, false),
      ...(parts.html === undefined ? {} : { html: compile(parts.html, true) }),
    };
    if (base === undefined) entries.set(meta.id, entry);
    else base.variants.set(facts.lang!, entry);
  }
  const factsMap: ReadonlyMap<string, TemplateFacts> = new Map([...entries].map(([id, e]) => [id, withVariants(e)]));
  return {
    dir,
    ids: () => [...entries.keys()],
    meta: (id) => factsMap.get(id),
    facts: () => factsMap,
    compileCount: () => compiles,
    render: (id, input) => renderEntry(id, pickVariant(entries.get(id), input.language), input),
  };
}

// The subject's exact language, else the same language in another region (zh-CN for zh-TW), else the template.
function pickVariant(e: Entry | undefined, language: string | undefined): Entry | undefined {
  if (e === undefined || language === undefined || language === e.facts.lang) return e;
  const exact = e.variants.get(language);
  if (exact) return exact;
  const primary = language.split('-')[0];
  return [...e.variants.values()].find((v) => v.facts.lang?.split('-')[0] === primary) ?? e;
}

function renderEntry(id: string, e: Entry | undefined, input: RenderInput): RenderedMessage {
  if (e === undefined)
    throw new TemplateRenderError(`template "${id}" is not loaded; check the id against campaigns/templates/`, id);
  const lang = e.facts.lang ?? DEFAULT_TEMPLATE_LANGUAGE;
  const address = input.postalAddresses?.[lang];
  const reserved = RenderReserved.safeParse({
    links: input.links,
    sender: address === undefined ? input.sender : { ...input.sender, postalAddress: address },
  });
  if (!reserved.success) {
    throw new TemplateRenderError(
      `template "${id}": bad reserved input: ${reserved.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      id,
    );
  }
  // #if/#unless do not throw on a missing field even in strict mode, so check presence up front.
  const missing = e.roots.filter(
    (f) => !Object.hasOwn(input.fields, f) || input.fields[f] === undefined || input.fields[f] === null,
  );
  if (missing.length) {
    throw new TemplateRenderError(
      `template "${id}" needs field(s) ${missing.join(', ')} that were not supplied (withheld by the guard or absent from the profile)`,
      id,
      missing,
    );
  }
  // Only declared fields enter the context: minimum necessary even if the caller passed more.
  const ctx: Record<string, unknown> = { links: reserved.data.links, sender: reserved.data.sender };
  for (const f of e.facts.fields) if (Object.hasOwn(input.fields, f)) ctx[f] = input.fields[f];
  try {
    return {
      language: lang,
      ...(e.subject === undefined
        ? {}
        : {
            subject: e
              .subject(ctx)
              .replace(/[\r\n]+/g, ' ')
              .trim(),
          }),
      text: e.text(ctx),
      ...(e.html === undefined ? {} : { html: e.html(ctx) }),
    };
  } catch (err) {
    throw new TemplateRenderError(`template "${id}": ${(err as Error).message}`, id);
  }
}
