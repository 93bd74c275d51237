import { z } from 'zod';
import { ApiError } from '../errors.js';
import type { ApiApp } from '../deps.js';
import { pageLanguages } from '../i18n/languages.js';
import { noticePage } from '../pages/notice.js';
import { htmlPage, pageErrors, PageQuery } from '../schemas.js';
import type { SubjectPages } from '../subject-page.js';

const NoticeParams = z.strictObject({
  version: z.string().regex(/^[1-9][0-9]{0,5}$/, 'must be a notice version number, like 3'),
});

/** GET /notices/:version?lang=: the published notice text, served only when it hashes to the recorded hash. */
export function noticeRoutes(app: ApiApp, _deps: unknown, pages: SubjectPages): void {
  app.get(
    '/notices/:version',
    {
      schema: {
        summary: 'A privacy notice version in one language (the text whose SHA-256 consent records name)',
        tags: ['subject'],
        params: NoticeParams,
        querystring: PageQuery,
        response: { 200: htmlPage('the notice text'), ...pageErrors },
      },
    },
    async (req, reply) => {
      const version = Number(req.params.version);
      const lang = await pages.language(req);
      const found = pages.notices.get(version, lang);
      if (!found)
        throw new ApiError(
          404,
          'notice_not_found',
          `no verified text of notice version ${version} in ${lang}; published languages: ${pages.notices.languages(version).join(', ') || 'none'}`,
        );
      const others = pageLanguages
        .filter((l) => l !== lang && pages.notices.get(version, l))
        .map((l) => ({ lang: l, url: `/notices/${version}?lang=${encodeURIComponent(l)}` }));
      return pages.send(reply, noticePage(found.notice, found.text, others, pages.chrome(req, lang, true)));
    },
  );
}
