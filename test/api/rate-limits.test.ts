import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEnv } from '../../infra/config.js';
import { auth, useApi } from '../helpers/api.js';
import { useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine({
  env: {
    CONSENTFLOW_RATE_SUBJECT_PER_MIN: '5',
    CONSENTFLOW_RATE_CONSENT_PER_MIN: '3',
    CONSENTFLOW_RATE_API_PER_MIN: '4',
  },
});
const api = useApi(engine);
const form = { 'content-type': 'application/x-www-form-urlencoded' };
type Err = { error: { code: string; message: string } };
const from = (ip: string) => ({ remoteAddress: ip });
const unsub = (ref: string) =>
  engine.services.tokens.sign({
    scope: 'unsubscribe',
    sub: ref as never,
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    campaign: 'c',
  });

/** Asserts a 429 in the documented error shape with a usable Retry-After, echoing nothing of the request. */
function assertLimited(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  echo: string,
): void {
  assert.equal(res.statusCode, 429, res.body);
  const after = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(after) && after >= 1 && after <= 60, `Retry-After ${String(res.headers['retry-after'])}`);
  // A subject page answers with a page (for browsers), the JSON API with the error body.
  const code = String(res.headers['content-type']).startsWith('text/html')
    ? /<code>([a-z_]+)<\/code>/.exec(res.body)?.[1]
    : (JSON.parse(res.body) as Err).error.code;
  assert.equal(code, 'rate_limited');
  assert.ok(!res.body.includes(echo), 'the answer does not echo the request');
}

test('a burst on a subject page answers 429 with Retry-After once the per-IP limit is spent', async () => {
  const token = await engine.services.tokens.sign({
    scope: 'why',
    sub: engine.services.pseudonymize(uniqueId('s')),
    campaign: 'c',
  });
  const codes: number[] = [];
  let last;
  for (let i = 0; i < 7; i++) {
    last = await api.app.inject({ method: 'GET', url: `/why/${token}`, ...from('10.0.0.1') });
    codes.push(last.statusCode);
  }
  assert.deepEqual(
    codes.map((c) => c === 429),
    [false, false, false, false, false, true, true],
  );
  assertLimited(last!, token);
  const other = await api.app.inject({ method: 'GET', url: `/why/${token}`, ...from('10.0.0.2') });
  assert.notEqual(other.statusCode, 429, 'another client has its own budget');
});

test('an over-limit RFC 8058 one-click POST is still recorded; forged one-click POSTs are limited', async () => {
  const ip = from('10.0.1.1');
  for (let i = 0; i < 5; i++) {
    const forged = await api.app.inject({
      method: 'POST',
      url: `/u/forged${i}.x`,
      headers: form,
      payload: 'List-Unsubscribe=One-Click',
      ...ip,
    });
    assert.ok(forged.statusCode === 400 || forged.statusCode === 403, forged.body);
  }
  assertLimited(
    await api.app.inject({
      method: 'POST',
      url: '/u/forged.x',
      headers: form,
      payload: 'List-Unsubscribe=One-Click',
      ...ip,
    }),
    'forged',
  );
  // The same client is now over the limit, yet every genuine unsubscribe goes through and is recorded.
  for (let i = 0; i < 8; i++) {
    const ref = await engine.seed(uniqueId('s'), { email: `${uniqueId('r')}@example.org` }, [
      { purpose: 'marketing.email.newsletter' },
    ]);
    const res = await api.app.inject({
      method: 'POST',
      url: `/u/${await unsub(ref)}`,
      headers: form,
      payload: 'List-Unsubscribe=One-Click',
      ...ip,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(
      (await engine.services.consent.projection(ref))['marketing.email.newsletter|email']?.type,
      'withdrawn',
    );
  }
});

test('consent capture and the API are limited per API key, so one busy caller does not starve another', async () => {
  const body = () => ({
    subjectId: uniqueId('s'),
    action: 'grant',
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    language: 'en',
    collectionPoint: 'form',
    jurisdiction: 'EU',
    method: 'form',
  });
  const captures = [];
  for (let i = 0; i < 4; i++)
    captures.push(
      (await api.app.inject({ method: 'POST', url: '/v1/consents', headers: auth('marketer'), payload: body() }))
        .statusCode,
    );
  assert.deepEqual(captures, [201, 201, 201, 429]);
  const reads = [];
  for (let i = 0; i < 5; i++)
    reads.push((await api.app.inject({ method: 'GET', url: '/v1/reviews', headers: auth('reviewer') })).statusCode);
  assert.deepEqual(reads, [200, 200, 200, 200, 429]);
  assertLimited(
    await api.app.inject({ method: 'GET', url: '/v1/reviews', headers: auth('reviewer') }),
    'reviewer-secret',
  );
  assert.equal((await api.app.inject({ method: 'GET', url: '/v1/reviews', headers: auth('admin') })).statusCode, 200);
});

test('a bad limit in the environment is refused, naming the variable', () => {
  assert.throws(
    () => parseEnv({ CONSENTFLOW_RATE_API_PER_MIN: '0' }),
    /CONSENTFLOW_RATE_API_PER_MIN: CONSENTFLOW_RATE_API_PER_MIN must be a whole number of at least 1/,
  );
});
