import { z } from 'zod';
import { SubjectId } from '../domain/ids.js';
import { LINK_TOKEN_PATTERN } from '../infra/tokens.js';
import { ErrorBody } from './errors.js';

/** An encrypted subject link token in the path (or, until it expires, a v1 signed link). */
export const TokenParams = z.strictObject({ token: z.string().max(2048).regex(new RegExp(LINK_TOKEN_PATTERN), 'must be the token from a consentflow link') });

/** A subject id in the path. */
export const SubjectParams = z.strictObject({ id: SubjectId });

/** Standard error responses for the OpenAPI document. */
export const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 410: ErrorBody, 413: ErrorBody, 414: ErrorBody, 415: ErrorBody, 429: ErrorBody, 431: ErrorBody } as const;

/** An HTML page response, for the OpenAPI document. */
export const htmlPage = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });

/** The bearer security requirement of service endpoints. */
export const bearer = [{ apiKey: [] as string[] }];
