import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import { createServer } from 'node:http';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { ApiApp, ApiDeps } from './deps.js';
import { errorHandler, sendError } from './errors.js';
import { sendErrorPage, subjectPages, wantsErrorPage } from './subject-page.js';
import { registerRateLimits } from './rate-limits.js';
import {
  clientErrorHandler,
  frameworkErrors,
  MAX_HEADER_BYTES,
  MAX_PARAM_BYTES,
  methodTracker,
} from './strict-http.js';
import { confirmRoutes } from './routes/confirm.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { consentRoutes } from './routes/consents.js';
import { noticeRoutes } from './routes/notices.js';
import { preferenceRoutes } from './routes/preferences.js';
import { reviewerRoutes } from './routes/reviewer.js';
import { subjectRequestRoutes } from './routes/subject-requests.js';
import { unsubscribeRoutes } from './routes/unsubscribe.js';
import { whyRoutes } from './routes/why.js';
import { complaintRoutes } from './routes/complaints.js';
import { complaintIntakeFor } from '../infra/complaints/compose.js';
import { silentLogger } from '../infra/logging.js';
import { nowOf } from './deps.js';
import { createProcessMetrics } from '../infra/metrics/provider.js';

export type { ApiDeps } from './deps.js';

// Consent bodies and forms are small; anything bigger is a mistake or an attack.
const BODY_LIMIT = 16 * 1024;

/** Builds the HTTP API (not listening): routes, validation from zod, OpenAPI at /openapi.json, uniform errors. */
export async function buildApi(deps: ApiDeps): Promise<ApiApp> {
  // Request lines go through the injected logger's serializers, which drop tokens, subject ids and query strings.
  const log = deps.logger ? { loggerInstance: deps.logger } : { logger: false as const };
  const app = Fastify({
    ...log,
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    clientErrorHandler,
    frameworkErrors,
    // Generous transport limits, so an over-long token or id meets the schema (400 naming it) before a 414 or 431.
    routerOptions: { maxParamLength: MAX_PARAM_BYTES },
    serverFactory: (handler) => createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const allowedMethods = methodTracker(app);
  const notFound = (req: FastifyRequest, reply: FastifyReply) => {
    const allow = allowedMethods(req);
    if (allow)
      return sendError(
        reply.header('allow', allow.join(', ')),
        405,
        'method_not_allowed',
        `${req.method} is not supported here; use ${allow.join(', ')}`,
      );
    return sendError(
      reply,
      404,
      'not_found',
      `no route ${req.method} ${req.url.split('?')[0]!.replace(/\/(u|why|preferences|confirm)\/.*/, '/$1/…')}`,
    );
  };
  const pages = subjectPages(deps);
  // A request that matched no route can still fail early (e.g. QUERY without a body type); it is a 404/405 all the same.
  // On a subject page a refusal is a page in the subject's language; the JSON API keeps its error body.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (req.is404) return notFound(req, reply);
    if (!wantsErrorPage(req)) return errorHandler(err, req, reply);
    return errorHandler(err, req, reply, (status, code) => sendErrorPage(pages, req, reply, status, code));
  });
  app.setNotFoundHandler(notFound);
  await registerRateLimits(app, deps);
  await app.register(formbody, { bodyLimit: BODY_LIMIT });
  // RFC 8058 lets the mail client POST multipart/form-data; only the one field matters, so a small reader suffices.
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    const m = /name="List-Unsubscribe"\r?\n(?:[^\r\n]+\r?\n)*\r?\n([^\r\n]*)/.exec(String(body));
    done(null, m ? { 'List-Unsubscribe': m[1] } : {});
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'consentflow API',
        version: '1.0.0',
        description:
          'Consent capture, preference centre, RFC 8058 unsubscribe, why-this-message, privacy notices, data subject requests and reviewer reads. Subject pages answer in English or Chinese (?lang=), refusals included.',
      },
      servers: [{ url: deps.config.publicUrl }],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key from CONSENTFLOW_API_KEYS (roles marketer, reviewer, admin)',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  healthRoutes(app, deps);
  const metrics = deps.metrics ?? createProcessMetrics('consentflow-api');
  metricsRoutes(app, deps, metrics);
  complaintRoutes(
    app,
    deps,
    deps.complaints ??
      complaintIntakeFor(deps.services, deps.services.log.opts.redis, {
        meter: metrics.meter,
        logger: deps.logger ?? silentLogger(),
        now: () => nowOf(deps),
      }),
  );
  for (const routes of [consentRoutes, subjectRequestRoutes, reviewerRoutes]) routes(app, deps);
  for (const routes of [confirmRoutes, preferenceRoutes, unsubscribeRoutes, whyRoutes, noticeRoutes])
    routes(app, deps, pages);
  await app.ready();
  return app;
}
