import type { PayloadCodec } from '@temporalio/common';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiKeyring } from './auth.js';
import { ApiError, sendError } from './errors.js';

// Temporal's remote codec protocol: proto3 JSON, so metadata values and data are base64 strings.
const Base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')
  .max(4 * 1024 * 1024);
const JsonPayload = z.object({ metadata: z.record(z.string(), Base64).optional(), data: Base64.optional() });
const CodecBody = z.object({ payloads: z.array(JsonPayload).max(1000) });
type JsonPayload = z.infer<typeof JsonPayload>;

const fromJson = (p: JsonPayload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
  ),
  data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
});
const toJson = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/** Who may use the codec endpoint and from where. */
export interface CodecServerOptions {
  readonly codec: PayloadCodec;
  /** The Temporal UI's origin (`http://127.0.0.1:8233`): the only browser origin answered, with CORS. */
  readonly uiOrigin: string;
  /** Requests without that origin (scripts, curl) need an admin key. */
  readonly keyring: ApiKeyring;
  readonly port?: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * The codec endpoint the Temporal UI calls to show decoded payloads (pseudonymous by design). Loopback only; the
 * browser is admitted by the UI's origin (it cannot hold our key), anything else needs the admin key.
 */
export async function startCodecServer(o: CodecServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  const admin = o.keyring.require('admin');
  const cors = (reply: FastifyReply) =>
    reply
      .header('access-control-allow-origin', o.uiOrigin)
      .header('vary', 'Origin')
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'Content-Type, X-Namespace, Authorization')
      .header('access-control-max-age', '600');

  // Refusals before any body is read: wrong network, wrong origin, or no admin key where there is no origin.
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? ''))
      return sendError(reply, 403, 'not_loopback', 'the codec endpoint answers this machine only');
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== o.uiOrigin)
      return sendError(
        reply,
        403,
        'origin_not_allowed',
        `origin ${origin.slice(0, 100)} may not use the codec endpoint; only the Temporal UI at ${o.uiOrigin} may`,
      );
    if (origin === o.uiOrigin) {
      cors(reply);
      return undefined;
    }
    return admin(req, reply);
  });
  app.options('/codec/:op', async (_req, reply) => reply.code(204).send());
  for (const op of ['encode', 'decode'] as const) {
    app.post(`/codec/${op}`, async (req, reply) => {
      const body = CodecBody.safeParse(req.body);
      if (!body.success)
        return sendError(
          reply,
          400,
          'invalid_request',
          `body ${body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}; send {"payloads":[{"metadata":{...},"data":"<base64>"}]}`,
        );
      try {
        const out = await o.codec[op](body.data.payloads.map(fromJson));
        return reply.type('application/json').send({ payloads: out.map(toJson) });
      } catch (e) {
        return sendError(reply, 422, 'codec_failed', `cannot ${op} these payloads: ${(e as Error).message}`);
      }
    });
  }
  app.setErrorHandler((e: { statusCode?: number; message: string }, _req, reply) => {
    if (e instanceof ApiError) return sendError(reply, e.status, e.code, e.message);
    const client = e.statusCode !== undefined && e.statusCode < 500;
    return sendError(
      reply,
      client ? e.statusCode! : 500,
      client ? 'invalid_request' : 'internal',
      client ? e.message : 'the codec endpoint failed; see its log',
    );
  });
  const address = await app.listen({ host: '127.0.0.1', port: o.port ?? 0 });
  return { url: address, close: () => app.close() };
}
