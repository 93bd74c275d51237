import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LinkTokens } from '../../infra/tokens.js';
import { signLegacyToken } from '../../infra/tokens-legacy.js';
import { uniqueId } from '../helpers/services.js';
import { api, asJson, engine, type Err, form, oneClick, sign, unsubToken } from './subject-links-helpers.js';

test('GET /u/:token shows a confirmation form and never unsubscribes, however often it is fetched', async () => {
  const ref = await engine.seed(uniqueId('s'), { email: `${uniqueId('a')}@example.org` }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const token = await unsubToken(ref);
  for (let i = 0; i < 3; i++) {
    const res = await api.app.inject({ method: 'GET', url: `/u/${token}` });
    assert.equal(res.statusCode, 200);
    assert.match(
      res.body,
      /<form method="post" action="\/u\/[^"]+"><input type="hidden" name="List-Unsubscribe" value="One-Click">/,
    );
  }
  const events = await engine.services.consent.events(ref);
  assert.deepEqual(
    events.map((e) => e.type),
    ['granted'],
  );
});

test('POST /u/:token with List-Unsubscribe=One-Click withdraws that purpose and channel: 200, no cookie, no redirect', async () => {
  const ref = await engine.seed(uniqueId('s'), { email: `${uniqueId('b')}@example.org` }, [
    { purpose: 'marketing.email.newsletter' },
    { purpose: 'marketing.email.promotions' },
  ]);
  const res = await api.app.inject({
    method: 'POST',
    url: `/u/${await unsubToken(ref)}`,
    headers: form,
    payload: oneClick,
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['set-cookie'], undefined);
  assert.equal(res.headers.location, undefined);
  const [, withdrawn] = (await engine.services.consent.events(ref)).filter(
    (e) => e.purpose === 'marketing.email.newsletter',
  );
  assert.equal(withdrawn?.type, 'withdrawn');
  assert.equal(withdrawn?.method, 'one_click');
  assert.equal(withdrawn?.collectionPoint, 'list_unsubscribe');
  const promo = (await engine.services.consent.projection(ref))['marketing.email.promotions|email'];
  assert.equal(promo?.type, 'granted', 'other purposes are untouched');
  const again = await api.app.inject({
    method: 'POST',
    url: `/u/${await unsubToken(ref)}`,
    headers: form,
    payload: oneClick,
  });
  assert.equal(again.statusCode, 200);
  assert.equal((await engine.services.consent.events(ref)).length, 3, 'a repeated POST records nothing new');
});

test('one-click also accepts multipart/form-data, and refuses any other body with 400 naming the field', async () => {
  const ref = await engine.seed(uniqueId('s'), { email: `${uniqueId('c')}@example.org` }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const boundary = '----cf';
  const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
  const res = await api.app.inject({
    method: 'POST',
    url: `/u/${await unsubToken(ref)}`,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: multipart,
  });
  assert.equal(res.statusCode, 200, res.body);
  const other = await engine.seed(uniqueId('s'), { email: `${uniqueId('c')}@example.org` }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  for (const [payload, path] of [
    ['List-Unsubscribe=Yes', 'body.List-Unsubscribe'],
    ['', 'body'],
    [`${oneClick}&extra=1`, 'body.extra'],
    [`${oneClick}&List-Unsubscribe=One-Click`, 'body.List-Unsubscribe'],
  ] as const) {
    const bad = await api.app.inject({
      method: 'POST',
      url: `/u/${await unsubToken(other)}`,
      headers: { ...form, ...asJson },
      payload,
    });
    assert.equal(bad.statusCode, 400, payload);
    assert.ok(
      (bad.json() as Err).error.issues?.some((i) => i.path === path || i.path.startsWith(path)),
      `${payload}: ${bad.body}`,
    );
  }
  assert.deepEqual(
    (await engine.services.consent.events(other)).map((e) => e.type),
    ['granted'],
    'bad bodies changed nothing',
  );
});

test('forged, expired, malformed and re-targeted tokens get a 4xx and change nothing', async () => {
  const ref = await engine.seed(uniqueId('s'), { email: `${uniqueId('d')}@example.org` }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const good = await unsubToken(ref);
  const parts = good.split('.');
  const flip = (p: string) => `${p.slice(0, 5)}${p[5] === 'A' ? 'B' : 'A'}${p.slice(6)}`;
  const tampered = [parts[0], parts[1], parts[2], flip(parts[3]!), parts[4]].join('.');
  const claims = {
    v: 1,
    scope: 'unsubscribe',
    sub: 'sr_AAAAAAAAAAAAAAAAAAAAAA',
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    exp: 9_999_999_999,
  };
  const retargeted = signLegacyToken(claims, Buffer.alloc(32, 9));
  const ring = engine.config.secrets.rings.token;
  const expired = await new LinkTokens(ring, () => Date.now() - 500 * 86_400_000).sign(
    { scope: 'unsubscribe', sub: ref, purpose: 'marketing.email.newsletter', channel: 'email' },
    1,
  );
  const otherKey = await new LinkTokens({
    current: { id: ring.current.id, key: Buffer.alloc(32, 7) },
    previous: [],
  }).sign({ scope: 'unsubscribe', sub: ref, purpose: 'marketing.email.newsletter', channel: 'email' });
  const whyToken = await sign({
    scope: 'why',
    sub: ref,
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    decision: '01J00000000000000000000000',
  });
  const cases: [string, number, string, RegExp][] = [
    [tampered, 403, 'token_bad_signature', /not valid; use the link from your latest email/],
    [retargeted, 403, 'token_bad_signature', /not valid/],
    [otherKey, 403, 'token_bad_signature', /not valid/],
    [expired, 410, 'token_expired', /expired/],
    [whyToken, 403, 'token_wrong_scope', /this is a why link, not a unsubscribe link/],
  ];
  for (const [token, status, code, message] of cases) {
    for (const method of ['GET', 'POST'] as const) {
      const res = await api.app.inject({
        method,
        url: `/u/${token}`,
        headers: { ...form, ...asJson },
        payload: method === 'POST' ? oneClick : undefined,
      });
      assert.equal(res.statusCode, status, `${code} ${method}`);
      const e = (res.json() as Err).error;
      assert.equal(e.code, code);
      assert.match(e.message, message);
      // The same refusal in a browser is a page in the browser's language, with the code for support.
      const page = await api.app.inject({
        method,
        url: `/u/${token}`,
        headers: { ...form, accept: 'text/html', 'accept-language': 'zh-CN,zh;q=0.9' },
        payload: method === 'POST' ? oneClick : undefined,
      });
      assert.equal(page.statusCode, status);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(page.body, new RegExp(`<html lang="zh-CN">[\\s\\S]*<code>${code}</code>`));
    }
  }
  const junk = await api.app.inject({ method: 'GET', url: '/u/not-a-token', headers: asJson });
  assert.equal(junk.statusCode, 400);
  assert.deepEqual(
    (junk.json() as Err).error.issues?.map((i) => i.path),
    ['params.token'],
  );
  for (const path of ['/preferences/', '/why/', '/confirm/']) {
    const res = await api.app.inject({ method: 'GET', url: `${path}${good}` });
    assert.equal(res.statusCode, 403, path);
    assert.match(res.body, /<h1>This link is meant for another page<\/h1>[\s\S]*<code>token_wrong_scope<\/code>/);
  }
  assert.deepEqual(
    (await engine.services.consent.events(ref)).map((e) => e.type),
    ['granted'],
  );
});
