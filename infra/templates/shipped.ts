import { fileURLToPath } from 'node:url';
import { loadTemplates, type TemplateRegistry } from './registry.js';

/** Where the shipped templates live: `campaigns/templates/` at the repository root. */
export const shippedTemplatesDir = fileURLToPath(new URL('../../campaigns/templates/', import.meta.url));

/** Loads and compiles the shipped templates (a fresh registry per call; callers keep the one they need). */
export function loadShippedTemplates(): TemplateRegistry {
  return loadTemplates(shippedTemplatesDir);
}
