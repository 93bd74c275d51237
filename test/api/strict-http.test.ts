import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { auth, useApi } from '../helpers/api.js';
import { useEngine } from '../helpers/engine.js';

const engine = useEngine();
const api = useApi(engine);
type Err = { error: { code: string; message: string; issues?: { path: string }[] } };

test('a method the document does not declare answers 405 with Allow, in the error shape', async () => {
  for (const [method, url, allow] of [
    ['DELETE', '/v1/consents', 'POST'],
    ['PUT', '/v1/reviews', 'GET, HEAD'],
    ['PATCH', '/u/abc', 'GET, HEAD, POST'],
  ] as const) {
    const res = await api.app.inject({ method, url, headers: auth('admin') });
    assert.equal(res.statusCode, 405, `${method} ${url}`);
    assert.equal(res.headers.allow, allow);
    assert.equal((res.json() as Err).error.code, 'method_not_allowed');
  }
  assert.equal((await api.app.inject({ method: 'GET', url: '/v1/nothing' })).statusCode, 404);
});

test('schema-valid requests the policy would refuse are schema-invalid: purpose, channel, language, corrections', async () => {
  const spec = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
  };
  const body = JSON.stringify(spec.paths['/v1/consents']?.post?.requestBody);
  for (const p of engine.services.policy.purposes.keys()) assert.ok(body.includes(`"${p}"`), p);
  assert.match(JSON.stringify(spec.paths['/u/{token}']), /"pattern":"\^\(\?:/);
  const consent = (over: object) =>
    api.app.inject({
      method: 'POST',
      url: '/v1/consents',
      headers: auth('marketer'),
      payload: {
        subjectId: 'c-1',
        action: 'grant',
        purpose: 'marketing.email.newsletter',
        channel: 'email',
        language: 'en',
        collectionPoint: 'x',
        jurisdiction: 'EU',
        ...over,
      },
    });
  for (const bad of [
    { purpose: 'marketing.nope' },
    { channel: 'sms' },
    { language: 'fr' },
    { action: 'withdraw', doubleOptIn: true },
  ])
    assert.equal((await consent(bad)).statusCode, 400, JSON.stringify(bad));
  const dsar = (payload: object) =>
    api.app.inject({ method: 'POST', url: '/v1/subject-requests', headers: auth('admin'), payload });
  assert.equal(
    (await dsar({ type: 'correct', subjectId: 'c-1' })).statusCode,
    400,
    'corrections are required for a correction',
  );
  assert.equal(
    (await dsar({ type: 'access', subjectId: 'c-1', corrections: { city: 'Graz' } })).statusCode,
    400,
    'and refused otherwise',
  );
  assert.equal(
    (await dsar({ type: 'correct', subjectId: 'c-1', corrections: {} })).statusCode,
    400,
    'at least one field',
  );
});

/** Sends raw HTTP (inject skips the parser), returning status and body. */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { port } = api.app.server.address() as { port: number };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('over-long URLs and headers answer the documented error shape without echoing the input', async () => {
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const token = `${'Q'.repeat(40)}.${'Z'.repeat(40_000)}`;
  const longUrl = await raw(`/u/${token}`);
  assert.equal(longUrl.status, 414);
  assert.equal((JSON.parse(longUrl.body) as Err).error.code, 'uri_too_long');
  assert.ok(!longUrl.body.includes('ZZZZ'), 'the URL is not echoed');
  const longHeader = await raw('/v1/reviews', { 'x-filler': 'H'.repeat(70_000) });
  assert.equal(longHeader.status, 431);
  assert.equal((JSON.parse(longHeader.body) as Err).error.code, 'headers_too_large');
  assert.ok(!longHeader.body.includes('HHHH'));
  const overSchema = await raw(`/u/${'Q'.repeat(40)}.${'Z'.repeat(3000)}`, { accept: 'application/json' });
  assert.equal(overSchema.status, 400, 'a token over the schema limit is a validation error naming the parameter');
  assert.deepEqual(
    [...new Set((JSON.parse(overSchema.body) as Err).error.issues?.map((i) => i.path))],
    ['params.token'],
  );
});

test('log bounds before the Unix epoch read as "from the start", not a server error', async () => {
  const res = await api.app.inject({
    method: 'GET',
    url: '/v1/log?until=0020-02-29T00:00:00Z',
    headers: auth('reviewer'),
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual((res.json() as { entries: unknown[] }).entries, []);
});
