import type { TemplateInfo, TemplatePort } from '../../domain/template-port.js';
import { TemplateRenderError, type TemplateRegistry } from './registry.js';

/** Adapts a template registry to the send pipeline's port: metadata for the guard, strict rendering. */
export function templatePort(registry: TemplateRegistry): TemplatePort {
  return {
    info: (id): TemplateInfo | undefined => {
      const m = registry.meta(id);
      if (m === undefined) return undefined;
      return {
        id: m.id,
        channel: m.channel,
        fields: m.fields,
        contentHash: m.contentHash,
        ...(m.fallback === undefined ? {} : { fallback: m.fallback }),
      };
    },
    render: (id, ctx) => {
      try {
        const out = registry.render(id, ctx);
        // SMS has no subject line; the port's callers send email only today.
        return {
          ok: true,
          subject: out.subject ?? '',
          text: out.text,
          ...(out.html === undefined ? {} : { html: out.html }),
        };
      } catch (e) {
        // A profile without a value for a declared field is an expected outcome; anything else is a bug.
        if (e instanceof TemplateRenderError && e.missingFields.length > 0)
          return { ok: false, missingFields: e.missingFields };
        throw e;
      }
    },
  };
}
