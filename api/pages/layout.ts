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
    const part = Array.isArray(v) ? (v as readonly Html[]).map((h) => h.html).join('') : typeof v === 'object' ? (v as Html).html : esc(v as string | number);
    out += part + strings[i + 1]!;
  });
  return { html: out };
}

// No external assets: inline styles only, visible focus, readable sizes, high contrast.
const STYLE = `
body{font:1.05rem/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fafafa}
main{max-width:42rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem}fieldset{border:1px solid #888;border-radius:.4rem;margin:0 0 1rem;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .3rem}label{display:flex;gap:.6rem;align-items:center;padding:.25rem 0;cursor:pointer}
input[type=checkbox]{width:1.3rem;height:1.3rem}
button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:2px solid #0b4f9c;background:#0b4f9c;color:#fff;cursor:pointer}
a{color:#0b4f9c}:focus-visible{outline:3px solid #d35400;outline-offset:3px}
.status{background:#e6f4ea;border-left:4px solid #1e7e34;padding:.5rem 1rem}.muted{color:#555;font-size:.9rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}`;

/** A complete, self-contained page. */
export function page(title: string, body: Html, lang = 'en'): string {
  return `<!doctype html>\n${html`<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title><style>${{ html: STYLE }}</style></head><body><main>${body}</main></body></html>`.html}`;
}
