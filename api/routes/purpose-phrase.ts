import type { PageText } from '../i18n/page-text.js';
import type { ApiDeps } from '../deps.js';

/** A purpose as a phrase inside a sentence ("Stop receiving our monthly newsletter…?"), in the page's language. */
export function purposePhrase(deps: ApiDeps, text: PageText, purpose: string | undefined, fallbackKey: string): string {
  const p = deps.services.policy.purposes.get(purpose ?? '')?.purpose;
  if (!p) return text.t(fallbackKey);
  const d = text.purpose(p).description;
  // Sentence case to mid-sentence; scripts without case (Chinese) are unchanged.
  return d.charAt(0).toLowerCase() + d.slice(1);
}
