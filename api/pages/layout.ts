import type { Brand } from '../../domain/policy.js';
import { pageLanguages, type PageLanguage } from '../i18n/languages.js';
import type { PageText } from '../i18n/page-text.js';

const ESC: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values; every interpolated value goes through it. */
export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** Marks a string as already-escaped HTML built by these page functions. */
export interface Html {
  readonly html: string;
}

/** Builds HTML from a template, escaping every value that is not already `Html`. */
export function html(strings: TemplateStringsArray, ...values: (string | number | Html | readonly Html[])[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const part = Array.isArray(v)
      ? (v as readonly Html[]).map((h) => h.html).join('')
      : typeof v === 'object'
        ? (v as Html).html
        : esc(v as string | number);
    out += part + strings[i + 1]!;
  });
  return { html: out };
}

// No external assets but the brand's logo: inline styles, visible focus, readable sizes, high contrast.
const style = (c: Brand['colours']) => `
body{font:1.05rem/1.5 system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:0;color:${c.text};background:${c.background}}
main,header,footer{max-width:42rem;margin:0 auto;padding:1rem 1.5rem}
header{display:flex;gap:1rem;align-items:center;justify-content:space-between;border-bottom:3px solid ${c.primary}}
.brand{display:flex;gap:.6rem;align-items:center;font-weight:700;font-size:1.15rem}.brand img{height:2rem}
nav ul{list-style:none;display:flex;gap:.8rem;margin:0;padding:0}
h1{font-size:1.6rem}fieldset{border:1px solid #888;border-radius:.4rem;margin:0 0 1rem;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .3rem}label{display:flex;gap:.6rem;align-items:center;padding:.25rem 0;cursor:pointer}
input[type=checkbox]{width:1.3rem;height:1.3rem}
button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:2px solid ${c.primary};background:${c.primary};color:#fff;cursor:pointer}
a{color:${c.primary}}:focus-visible{outline:3px solid #d35400;outline-offset:3px}
.status{background:#e6f4ea;border-left:4px solid #1e7e34;padding:.5rem 1rem}.muted{color:#555;font-size:.9rem}
.notice{white-space:pre-line}footer{color:#555;font-size:.9rem;border-top:1px solid #ccc}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}`;

/** The brand, language and switch every subject page shares. */
export interface Chrome {
  readonly text: PageText;
  /** The URL of this page in another language; no switch when absent (answers to a POST). */
  readonly switchTo?: (lang: PageLanguage) => string;
}

function header(c: Chrome): Html {
  const { text, switchTo } = c;
  const logo = text.brand.logoUrl
    ? html`<img src="${text.brand.logoUrl}" alt="${text.t('common.logoAlt', { name: text.brand.name })}">`
    : html``;
  const langs = switchTo
    ? html`<nav aria-label="${text.t('common.languageSwitch')}"><ul>${pageLanguages.map((l) =>
        l === text.lang
          ? html`<li><a href="${switchTo(l)}" hreflang="${l}" lang="${l}" aria-current="page">${text.languageName(l)}</a></li>`
          : html`<li><a href="${switchTo(l)}" hreflang="${l}" lang="${l}">${text.languageName(l)}</a></li>`,
      )}</ul></nav>`
    : html``;
  return html`<header><div class="brand">${logo}<span>${text.brand.name}</span></div>${langs}</header>`;
}

/** A complete, self-contained page in the chrome's language, with the brand's header and postal-address footer. */
export function page(title: string, body: Html, c: Chrome): string {
  const { text } = c;
  const footer = html`<footer><p>${text.t('common.footer', { name: text.brand.name, address: text.postalAddress })}</p></footer>`;
  return `<!doctype html>\n${html`<html lang="${text.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title><style>${{ html: style(text.brand.colours) }}</style></head><body>${header(c)}<main>${body}</main>${footer}</body></html>`.html}`;
}
