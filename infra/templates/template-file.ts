import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { TemplateMeta } from '../../domain/template.js';

/** A template file could not be read as front matter plus a body; names the file and the problem. */
export class TemplateLoadError extends Error {
  override readonly name = 'TemplateLoadError';
}

/** The parts of a template file: metadata and the Handlebars sources it renders. */
export interface TemplateFile {
  readonly meta: TemplateMeta;
  readonly parts: { readonly subject?: string; readonly text: string; readonly html?: string };
  /** Body text without front matter (what the promotional heuristic reads). */
  readonly body: string;
}

// Front matter is YAML between two `---` lines; an optional `=== html ===` line splits the text and HTML parts.
const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/;
const HTML_SEPARATOR = /^=== html ===\s*$/m;

/** Parses one template file: YAML front matter validated by TemplateMeta, a text body and an optional HTML body. */
export function parseTemplateFile(raw: string, file: string): TemplateFile {
  const m = FRONT_MATTER.exec(raw);
  if (!m)
    throw new TemplateLoadError(
      `${file}: missing front matter; start the file with a --- line, the YAML metadata, and another --- line`,
    );
  let data: unknown;
  try {
    data = parseYaml(m[1] ?? '');
  } catch (e) {
    throw new TemplateLoadError(`${file}: front matter is not valid YAML: ${(e as Error).message}`);
  }
  const contentHash = createHash('sha256').update(raw).digest('hex');
  const parsed = TemplateMeta.safeParse({ ...(data as object), contentHash });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(front matter)'}: ${i.message}`);
    throw new TemplateLoadError(`${file}: ${issues.join('; ')}`);
  }
  const body = m[2] ?? '';
  const [text = '', html, ...more] = body.split(HTML_SEPARATOR);
  if (more.length > 0)
    throw new TemplateLoadError(`${file}: "=== html ===" appears more than once; keep one text part and one HTML part`);
  if (text.trim() === '')
    throw new TemplateLoadError(`${file}: the text part is empty; every message needs a plain-text body`);
  const meta = parsed.data;
  return {
    meta,
    parts: {
      ...(meta.subject === undefined ? {} : { subject: meta.subject }),
      text: text.trim() + '\n',
      ...(html === undefined ? {} : { html: html.trim() + '\n' }),
    },
    body,
  };
}
