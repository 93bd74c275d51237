import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiKeyring } from '../../api/auth.js';
import { startCodecServer } from '../../api/codec-server.js';
import { dataConverter } from '../../infra/temporal/connection.js';
import { useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

// The Temporal UI's remote codec, fed a payload from a real workflow history written through our encrypting client.
const engine = useEngine();
const UI = 'http://127.0.0.1:8233';
const ADMIN = 'codec-admin-secret-0123456789';
let server: { url: string; close(): Promise<void> };
before(async () => {
  const keyring = new ApiKeyring([
    { name: 'ops-admin', role: 'admin', secret: ADMIN },
    { name: 'ops-reviewer', role: 'reviewer', secret: 'codec-reviewer-secret-0123456' },
  ]);
  server = await startCodecServer({ codec: dataConverter(engine.config).payloadCodecs![0]!, uiOrigin: UI, keyring });
});
after(() => server.close());

type JsonPayload = { metadata: Record<string, string>; data: string };
const b64 = (u: Uint8Array | null | undefined) => Buffer.from(u ?? new Uint8Array()).toString('base64');
const text = (s: string) => Buffer.from(s, 'base64').toString('utf8');
const post = (op: string, body: unknown, headers: Record<string, string>) =>
  fetch(`${server.url}/codec/${op}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: JSON.stringify(body),
  });

async function historyPayload(): Promise<{ payload: JsonPayload; input: unknown }> {
  const input = { v: 1, marker: uniqueId('codec') };
  // No worker polls this queue: the run stays open and its start event holds the encrypted input.
  const handle = await engine.client.workflow.start('broadcast', {
    taskQueue: uniqueId('idle'),
    workflowId: uniqueId('codec'),
    args: [input],
  });
  try {
    const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    const p = started?.input?.payloads?.[0];
    assert.ok(p, 'the start event carries the input');
    return {
      payload: {
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
        data: b64(p.data),
      },
      input,
    };
  } finally {
    await handle.terminate('payload taken');
  }
}

test('decodes an encrypted payload from a real workflow history for the UI, with CORS for the UI origin only', async () => {
  const { payload, input } = await historyPayload();
  assert.equal(text(payload.metadata.encoding!), 'binary/encrypted');
  assert.ok(
    !text(payload.data).includes(String((input as { marker: string }).marker)),
    'the history holds no plaintext',
  );
  const res = await post('decode', { payloads: [payload] }, { origin: UI });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), UI);
  const [decoded] = ((await res.json()) as { payloads: JsonPayload[] }).payloads;
  assert.equal(text(decoded!.metadata.encoding!), 'json/plain');
  assert.deepEqual(JSON.parse(text(decoded!.data)), input);
  // Encoding through the endpoint gives a payload the endpoint (and so the workers) decode back.
  const encoded = (
    (await (await post('encode', { payloads: [decoded] }, { origin: UI })).json()) as { payloads: JsonPayload[] }
  ).payloads;
  assert.equal(text(encoded[0]!.metadata.encoding!), 'binary/encrypted');
  const again = (
    (await (await post('decode', { payloads: encoded }, { authorization: `Bearer ${ADMIN}` })).json()) as {
      payloads: JsonPayload[];
    }
  ).payloads;
  assert.deepEqual(JSON.parse(text(again[0]!.data)), input);
});

test('answers the UI preflight with its origin and the X-Namespace header, and refuses other origins and callers without the admin key', async () => {
  const pre = await fetch(`${server.url}/codec/decode`, {
    method: 'OPTIONS',
    headers: {
      origin: UI,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-namespace',
    },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), UI);
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
  const { payload } = await historyPayload();
  const evil = await post('decode', { payloads: [payload] }, { origin: 'http://evil.example' });
  assert.equal(evil.status, 403);
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
  assert.match(
    ((await evil.json()) as { error: { message: string } }).error.message,
    /origin http:\/\/evil.example may not use the codec endpoint/,
  );
  const anonymous = await post('decode', { payloads: [payload] }, {});
  assert.equal(anonymous.status, 401);
  assert.equal(
    (await post('decode', { payloads: [payload] }, { authorization: 'Bearer codec-reviewer-secret-0123456' })).status,
    403,
  );
  const bad = await post('decode', { payloads: [{ data: 'not base64!' }] }, { origin: UI });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: { message: string } }).error.message, /must be base64/);
});
