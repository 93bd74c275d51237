import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ProcessorNotice } from '../../domain/propagation.js';
import { processorAddressHash, processorMatchKey } from '../../infra/crypto/pseudonym.js';
import { HttpWebhookNotifier } from '../../infra/webhook-notifier.js';

const received: { path: string; body: string; signature: string }[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    received.push({ path: req.url ?? '', body, signature: String(req.headers['x-consentflow-signature']) });
    res.statusCode = req.url === '/gone' ? 410 : req.url === '/busy' ? 503 : 204;
    res.end();
  });
});
let base = '';
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test('a correction notice reaches a real HTTP receiver signed, with the match hash and the corrected values', async () => {
  const signingKey = randomBytes(32);
  const pseudonymKey = randomBytes(32);
  const notifier = new HttpWebhookNotifier(
    new Map([
      ['ads-partner', `${base}/ok`],
      ['gone', `${base}/gone`],
      ['busy', `${base}/busy`],
    ]),
    signingKey,
  );
  const hash = processorAddressHash(processorMatchKey(pseudonymKey, 'ads-partner'), ' Old@Example.org ');
  const notice = ProcessorNotice.parse({
    v: 2,
    changeId: 'dsar-correct-01J0000000000000000000000',
    kind: 'corrected',
    subject: { scheme: 'hmac-sha256-address/v1', field: 'email', hash },
    corrections: { email: 'new@example.org' },
    at: new Date().toISOString(),
  });
  assert.deepEqual(await notifier.notify('ads-partner', notice), { ok: true });
  const got = received.at(-1)!;
  assert.equal(got.signature, `sha256=${createHmac('sha256', signingKey).update(got.body).digest('hex')}`);
  const parsed = ProcessorNotice.parse(JSON.parse(got.body));
  // What the processor does on its side: hash the addresses it holds under its key and compare.
  assert.equal(
    parsed.subject.hash,
    processorAddressHash(processorMatchKey(pseudonymKey, 'ads-partner'), 'old@example.org'),
  );
  assert.deepEqual(parsed.corrections, { email: 'new@example.org' });
  assert.deepEqual(await notifier.notify('gone', notice), {
    ok: false,
    reason: 'gone answered HTTP 410',
    retryable: false,
  });
  assert.deepEqual(await notifier.notify('busy', notice), {
    ok: false,
    reason: 'busy answered HTTP 503',
    retryable: true,
  });
  const unknown = await notifier.notify('nobody', notice);
  assert.equal(unknown.ok, false);
  assert.match(unknown.ok ? '' : unknown.reason, /CONSENTFLOW_PROCESSOR_WEBHOOKS/);
});
