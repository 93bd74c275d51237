import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** One problem with a request, by path (`body.purpose`). */
export const ApiIssue = z.object({ path: z.string(), message: z.string() });
export type ApiIssue = z.infer<typeof ApiIssue>;

/** The body of every 4xx and 5xx answer. */
export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), issues: z.array(ApiIssue).optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An expected refusal with its HTTP status, stable code and a message for the caller. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: ApiIssue[],
  ) {
    super(message);
  }
}

/** Sends an error body. */
export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  issues?: ApiIssue[],
): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send({ error: { code, message, ...(issues?.length ? { issues } : {}) } });
}

const FASTIFY_CODES: Readonly<Record<string, [number, string, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large', 'request body is larger than the 16 KiB limit'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    'unsupported_media_type',
    'send application/json (API) or application/x-www-form-urlencoded (forms)',
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'empty_body', 'the JSON body is empty; send an object'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed_body', 'the body is not valid JSON'],
};

/** How a refusal is sent when it is not the JSON error body (subject pages render one). */
export type SendRefusal = (status: number, code: string) => FastifyReply;

/**
 * Maps every failure to the error body (or to `page`): zod paths for validation, stable codes for the rest, nothing
 * internal.
 */
export function errorHandler(
  err: FastifyError,
  req: FastifyRequest,
  reply: FastifyReply,
  page?: SendRefusal,
): FastifyReply {
  const refuse = (r: FastifyReply, status: number, code: string, message: string, issues?: ApiIssue[]) =>
    page ? page(status, code) : sendError(r, status, code, message, issues);
  if (err instanceof ApiError) return refuse(reply, err.status, err.code, err.message, err.issues);
  if (hasZodFastifySchemaValidationErrors(err)) {
    const part = err.validationContext ?? 'request';
    const issues: ApiIssue[] = err.validation.flatMap((v) => {
      const base = [part, ...v.instancePath.split('/').filter(Boolean)].join('.');
      const keys = (v.params as { keys?: string[] }).keys;
      if (v.keyword === 'unrecognized_keys' && keys)
        return keys.map((k) => ({ path: `${base}.${k}`, message: 'unknown field; remove it' }));
      return [{ path: base, message: v.message ?? 'invalid' }];
    });
    return refuse(
      reply,
      400,
      'invalid_request',
      `${part} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  const known = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (known) return refuse(reply, known[0], known[1], known[2]);
  if (err.statusCode && err.statusCode < 500)
    return refuse(reply, err.statusCode, (err.code ?? 'bad_request').toLowerCase(), err.message);
  // Log the type only: messages of infrastructure errors can carry keys or data.
  req.log.error({ err: { name: err.name, code: err.code } }, 'request failed');
  return refuse(reply, 500, 'internal', 'something went wrong on our side; the request may be retried');
}
