import { z } from 'zod';
import { SubjectId } from '../domain/ids.js';
import { LINK_TOKEN_PATTERN } from '../infra/tokens.js';
import { ErrorBody } from './errors.js';
import { PageLanguageSchema } from './i18n/languages.js';

/** An encrypted subject link token in the path (or, until it expires, a v1 signed link). */
export const TokenParams = z.strictObject({
  token: z.string().max(2048).regex(new RegExp(LINK_TOKEN_PATTERN), 'must be the token from a consentflow link'),
});

/** A subject id in the path. */
export const SubjectParams = z.strictObject({ id: SubjectId });

/** Standard error responses for the OpenAPI document. */
export const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  410: ErrorBody,
  413: ErrorBody,
  414: ErrorBody,
  415: ErrorBody,
  429: ErrorBody,
  431: ErrorBody,
} as const;

/**
 * Error responses of subject pages: a page in the subject's language, or the JSON error body for what the HTTP layer
 * refuses before any route runs (an over-long URL or headers).
 */
export const pageErrors = Object.fromEntries(
  Object.keys(errors).map((status) => [
    status,
    {
      description: 'a page explaining the refusal (or, from the HTTP layer, the error body)',
      content: { 'text/html': { schema: z.string() }, 'application/json': { schema: ErrorBody } },
    },
  ]),
) as {
  readonly [K in keyof typeof errors]: {
    description: string;
    content: { 'text/html': { schema: z.ZodString }; 'application/json': { schema: typeof ErrorBody } };
  };
};

/** The `?lang=` switch of subject pages. */
export const PageQuery = z.strictObject({
  lang: PageLanguageSchema.optional().describe("page language; default: the subject's, else Accept-Language, else en"),
});

/** An HTML page response, for the OpenAPI document. */
export const htmlPage = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });

/** The bearer security requirement of service endpoints. */
export const bearer = [{ apiKey: [] as string[] }];
