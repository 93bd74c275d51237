import { ApiError } from '../errors.js';
import { type ApiApp, type ApiDeps, claimsOf } from '../deps.js';
import { whyPage } from '../pages/why.js';
import { htmlPage, pageErrors, PageQuery, TokenParams } from '../schemas.js';
import type { SubjectPages } from '../subject-page.js';

/** "Why did I get this?": the campaign, purpose, consent relied on and fields used, from the decision log entry. */
export function whyRoutes(app: ApiApp, deps: ApiDeps, pages: SubjectPages): void {
  app.get(
    '/why/:token',
    {
      schema: {
        summary: 'Why this message was sent',
        tags: ['subject'],
        params: TokenParams,
        querystring: PageQuery,
        response: { 200: htmlPage('explanation'), ...pageErrors },
      },
    },
    async (req, reply) => {
      const c = await claimsOf(deps, req.params.token, 'why');
      const lang = await pages.language(req, c.sub);
      if (!c.decision) throw new ApiError(400, 'token_incomplete', 'this link names no message decision');
      let entry;
      for await (const e of deps.services.log.query({ subjectRef: c.sub, kind: 'decision' })) {
        if (e.id === c.decision) {
          entry = e;
          break;
        }
      }
      if (!entry)
        throw new ApiError(
          404,
          'decision_not_found',
          'we have no record of this message decision; it may have been archived',
        );
      const event = entry.consentEventId
        ? (await deps.services.consent.events(c.sub)).find((e) => e.id === entry.consentEventId)
        : undefined;
      const purpose = deps.services.policy.purposes.get(entry.purpose ?? '')?.purpose;
      const chrome = pages.chrome(req, lang, true);
      const body = whyPage(
        {
          campaign: entry.campaignId ? deps.campaignInfo(entry.campaignId) : undefined,
          purpose: purpose && chrome.text.purpose(purpose),
          sentAt: entry.at,
          consent: event
            ? {
                at: event.occurredAt,
                collectionPoint: event.collectionPoint,
                noticeVersion: event.noticeVersion,
                method: event.method,
                basis: event.legalBasis,
              }
            : undefined,
          fields: entry.fieldsReleased.map((f) => chrome.text.field(f)),
          preferencesUrl: `${deps.config.publicUrl}/preferences/${await deps.services.tokens.sign({ scope: 'preferences', sub: c.sub })}?lang=${encodeURIComponent(lang)}`,
        },
        chrome,
      );
      return pages.send(reply, body);
    },
  );
}
