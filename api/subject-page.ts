import type { FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import type { SubjectRef } from '../domain/ids.js';
import type { NoticeTexts } from '../infra/notices/notice-texts.js';
import type { ApiDeps } from './deps.js';
import { pageLanguage, PageLanguageSchema, type PageLanguage } from './i18n/languages.js';
import { createPageI18n, type PageI18n } from './i18n/page-text.js';
import { errorPage } from './pages/error.js';
import type { Chrome } from './pages/layout.js';

/** What the subject-page routes share: the texts in every language and the verified notice texts. */
export interface SubjectPages {
  readonly i18n: PageI18n;
  readonly notices: NoticeTexts;
  /** The page language of a request: the switch, the subject's own language, Accept-Language, English. */
  language(req: FastifyRequest, sub?: SubjectRef): Promise<PageLanguage>;
  /** The brand and texts of a page; `switchable` pages (GETs) link to themselves in the other languages. */
  chrome(req: FastifyRequest, lang: PageLanguage, switchable: boolean): Chrome;
  /** Sends a page, with no caching: subject pages carry personal choices. */
  send(reply: FastifyReply, body: string, status?: number): FastifyReply;
}

// The pages a person opens from a message; their refusals are pages too, while the JSON API stays JSON.
const PAGE_ROUTES = new Set([
  '/u/:token',
  '/confirm/:token',
  '/preferences/:token',
  '/why/:token',
  '/notices/:version',
]);

/**
 * Whether a refusal is answered as a page: on a subject page, unless the client prefers JSON (a service calling the
 * page routes gets the error body with its issues; a browser, or a client that states no preference, gets the page).
 */
export function wantsErrorPage(req: FastifyRequest): boolean {
  if (!PAGE_ROUTES.has(req.routeOptions.url ?? '')) return false;
  return (
    new Negotiator({ headers: { accept: req.headers.accept ?? '*/*' } }).mediaType([
      'text/html',
      'application/json',
    ]) !== 'application/json'
  );
}

const known = new WeakMap<FastifyRequest, PageLanguage>();

const queryLanguage = (req: FastifyRequest): PageLanguage | undefined => {
  const r = PageLanguageSchema.safeParse((req.query as { lang?: unknown } | undefined)?.lang);
  return r.success ? r.data : undefined;
};

/** Builds the subject-page context from the policy's brand; the brand is required, so pages and emails agree. */
export function subjectPages(deps: ApiDeps): SubjectPages {
  const brand = deps.services.policy.bundle.brand;
  if (!brand) throw new Error('the policy has no brand; `policy check` requires one (name, colours, postalAddress)');
  const i18n = createPageI18n(brand, deps.onMissingText, deps.services.policy.fields);
  const self: SubjectPages = {
    i18n,
    notices: deps.notices,
    async language(req, sub) {
      const last = sub ? (await deps.services.consent.events(sub)).at(-1) : undefined;
      const lang = pageLanguage({
        chosen: queryLanguage(req),
        subject: last,
        acceptLanguage: req.headers['accept-language'],
      });
      // Remembered for this request, so a refusal later in the handler speaks the same language.
      known.set(req, lang);
      return lang;
    },
    chrome(req, lang, switchable) {
      const path = req.url.split('?')[0]!;
      return {
        text: i18n.text(lang),
        ...(switchable ? { switchTo: (l: PageLanguage) => `${path}?lang=${encodeURIComponent(l)}` } : {}),
      };
    },
    send: (reply, body, status = 200) =>
      reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body),
  };
  return self;
}

/** A refusal on a subject page as an HTML page in the subject's language (or the browser's, before a link verifies). */
export function sendErrorPage(
  pages: SubjectPages,
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
): FastifyReply {
  const lang =
    known.get(req) ?? pageLanguage({ chosen: queryLanguage(req), acceptLanguage: req.headers['accept-language'] });
  return pages.send(reply, errorPage(code, pages.chrome(req, lang, false)), status);
}
