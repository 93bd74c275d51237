import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiApp, ApiDeps } from './deps.js';
import { errorHandler, sendError } from './errors.js';
import { registerRateLimits } from './rate-limits.js';
import { confirmRoutes } from './routes/confirm.js';
import { consentRoutes } from './routes/consents.js';
import { preferenceRoutes } from './routes/preferences.js';
import { reviewerRoutes } from './routes/reviewer.js';
import { subjectRequestRoutes } from './routes/subject-requests.js';
import { unsubscribeRoutes } from './routes/unsubscribe.js';
import { whyRoutes } from './routes/why.js';

export type { ApiDeps } from './deps.js';

// Consent bodies and forms are small; anything bigger is a mistake or an attack.
const BODY_LIMIT = 16 * 1024;

/** Builds the HTTP API (not listening): routes, validation from zod, OpenAPI at /openapi.json, uniform errors. */
export async function buildApi(deps: ApiDeps): Promise<ApiApp> {
  // Logger off: request lines carry tokens and IPs, and we log no personal data.
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, trustProxy: false, routerOptions: { maxParamLength: 2048 } }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?')[0]!.replace(/\/(u|why|preferences|confirm)\/.*/, '/$1/…')}`));
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
      info: { title: 'consentflow API', version: '1.0.0', description: 'Consent capture, preference centre, RFC 8058 unsubscribe, why-this-message, data subject requests and reviewer reads.' },
      servers: [{ url: deps.config.publicUrl }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from CONSENTFLOW_API_KEYS (roles marketer, reviewer, admin)' } } },
    },
    transform: jsonSchemaTransform,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  for (const routes of [consentRoutes, confirmRoutes, preferenceRoutes, unsubscribeRoutes, whyRoutes, subjectRequestRoutes, reviewerRoutes]) routes(app, deps);
  await app.ready();
  return app;
}
