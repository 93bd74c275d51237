import { createHash } from 'node:crypto';
import type { TemplateFacts, TemplateMeta } from '../../domain/template.js';
import { TemplateLoadError } from './template-file.js';

/** A language variant's file name: `welcome-1.zh-CN.hbs` is `welcome-1` in zh-CN. */
export function variantName(name: string): { readonly id: string; readonly lang: string } | undefined {
  const m = /^([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\.([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.hbs$/.exec(name);
  return m ? { id: m[1]!, lang: m[2]! } : undefined;
}

/**
 * A variant is the same message in another language: same id, channel, kind, fields and fallback as its template,
 * so the guard's decision (made on the template's fields) holds for whichever language renders.
 */
export function checkVariant<E extends { readonly facts: TemplateFacts }>(
  file: string,
  meta: TemplateMeta,
  v: { id: string; lang: string },
  base: E | undefined,
): E {
  if (base === undefined)
    throw new TemplateLoadError(
      `${file}: is a ${v.lang} variant of "${v.id}", but ${v.id}.hbs does not exist or did not load; add or fix it first`,
    );
  if (meta.id !== v.id)
    throw new TemplateLoadError(
      `${file}: id "${meta.id}" does not match the file name; a variant keeps its template's id, so write id: ${v.id}`,
    );
  if (meta.lang !== v.lang)
    throw new TemplateLoadError(
      `${file}: front matter lang is ${meta.lang ?? 'missing'}; the file name says ${v.lang}, so write lang: ${v.lang}`,
    );
  if (v.lang === base.facts.lang)
    throw new TemplateLoadError(`${file}: ${v.id}.hbs is already in ${v.lang}; give the variant another language`);
  const t = base.facts;
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  for (const [key, mine, theirs] of [
    ['channel', meta.channel, t.channel],
    ['kind', meta.kind, t.kind],
    ['fallback', meta.fallback, t.fallback],
  ] as const) {
    if (mine !== theirs)
      throw new TemplateLoadError(
        `${file}: ${key} is ${mine ?? 'unset'} but ${v.id}.hbs says ${theirs ?? 'unset'}; a language variant must match its template`,
      );
  }
  if (!same(meta.fields, t.fields)) {
    throw new TemplateLoadError(
      `${file}: fields [${meta.fields.join(', ')}] differ from ${v.id}.hbs [${t.fields.join(', ')}]; the guard releases the template's fields whatever the language, so declare the same ones`,
    );
  }
  return base;
}

/**
 * The facts of a template with its variants attached. The content hash covers every language, so the version a
 * decision records changes when any translation does.
 */
export function withVariants(e: {
  readonly facts: TemplateFacts;
  readonly variants: ReadonlyMap<string, { readonly facts: TemplateFacts }>;
}): TemplateFacts {
  if (e.variants.size === 0) return e.facts;
  const variants = [...e.variants.values()]
    .map((v) => v.facts)
    .sort((a, b) => (a.lang ?? '').localeCompare(b.lang ?? ''));
  const contentHash = createHash('sha256')
    .update([e.facts.contentHash, ...variants.map((v) => `${v.lang}:${v.contentHash}`)].join('\n'))
    .digest('hex');
  return { ...e.facts, contentHash, variants };
}
