import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { ApiApp } from './deps.js';
import { sendError } from './errors.js';

/** The limit on the request line plus headers; past it the HTTP parser answers 431 before any route runs. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** The limit on one (percent-encoded) path segment; past it the router answers 414. */
export const MAX_PARAM_BYTES = 32 * 1024;

const body = (code: string, message: string) => JSON.stringify({ error: { code, message } });

/**
 * Answers what the HTTP parser refuses (headers or URL over MAX_HEADER_BYTES, malformed requests) in the documented error
 * shape. Nothing of the request is echoed: URLs carry link tokens, headers carry API keys.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, text] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          body(
            'headers_too_large',
            `the request line and headers are larger than ${MAX_HEADER_BYTES / 1024} KiB; send shorter headers and URL`,
          ),
        ]
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', body('request_timeout', 'the request took too long to arrive; send it again')]
        : [400, 'Bad Request', body('malformed_request', 'the request is not valid HTTP/1.1')];
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${text}`,
    );
  socket.destroy();
}

/** Router-level refusals in the documented shape, never echoing the URL (it may hold a link token). */
export function frameworkErrors(err: { code?: string }, _req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
    void sendError(reply, 414, 'uri_too_long', 'a path segment is too long; use the link exactly as it was sent');
  else void sendError(reply, 400, 'bad_url', 'the URL is not valid; check its percent-encoding');
}

/**
 * Tracks which methods each path has, so a request with an undeclared method answers 405 with `Allow` (RFC 9110)
 * instead of 404. Must be installed before the routes are added.
 */
export function methodTracker(app: ApiApp): (req: FastifyRequest) => string[] | undefined {
  const paths: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const pattern = new RegExp(
      `^${route.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`,
    );
    let entry = paths.find((p) => p.pattern.source === pattern.source);
    if (!entry) paths.push((entry = { pattern, methods: new Set() }));
    for (const m of [route.method].flat()) entry.methods.add(m);
    if (entry.methods.has('GET')) entry.methods.add('HEAD');
  });
  return (req) => {
    const path = req.url.split('?')[0] ?? '';
    const hit = paths.find((p) => p.pattern.test(path));
    return hit && !hit.methods.has(req.method) ? [...hit.methods].sort() : undefined;
  };
}
