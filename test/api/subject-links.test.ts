import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { defineCampaign } from '../../domain/campaign.js';
import { journeyWorkflowId } from '../../activities/campaign.js';
import { journeyStarter } from '../../infra/temporal/journeys.js';
import { LinkTokens } from '../../infra/tokens.js';
import { signLegacyToken } from '../../infra/tokens-legacy.js';
import type { JourneyState } from '../../workflows/signals.js';
import { eventually, useEngine } from '../helpers/engine.js';
import { auth, useApi } from '../helpers/api.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();
const api = useApi(engine);
const form = { 'content-type': 'application/x-www-form-urlencoded' };
// A service that prefers JSON gets the error body with its issues; a browser gets a page.
const asJson = { accept: 'application/json' };
const oneClick = 'List-Unsubscribe=One-Click';
type Err = { error: { code: string; message: string; issues?: { path: string }[] } };
const sign = (claims: Parameters<LinkTokens['sign']>[0], ttlDays?: number) =>
  engine.services.tokens.sign(claims, ttlDays);
const unsubToken = async (ref: string, purpose = 'marketing.email.newsletter') =>
  sign({
    scope: 'unsubscribe',
    sub: ref as never,
    purpose,
    channel: 'email',
    campaign: 'c',
    decision: '01J00000000000000000000000',
  });

async function mails(address: string) {
  return Promise.all(
    engine.sink.received.filter((m) => m.envelopeTo.includes(address)).map((m) => simpleParser(readFileSync(m.file))),
  );
}

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

test('preference centre: plain-language purposes and toggles; saving records preference_center events and redirects', async () => {
  const ref = await engine.seed(uniqueId('s'), { email: `${uniqueId('e')}@example.org` }, [
    { purpose: 'marketing.email.newsletter' },
    { purpose: 'marketing.email.promotions' },
  ]);
  const token = await sign({ scope: 'preferences', sub: ref });
  const page = await api.app.inject({ method: 'GET', url: `/preferences/${token}` });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Our monthly newsletter about new products and stores/);
  assert.match(page.body, /name="c:marketing\.email\.newsletter\|email" value="on" checked/);
  assert.match(page.body, /name="c:marketing\.sms\|sms" value="on">/);
  assert.match(page.body, /privacy notice version 3/);
  assert.match(page.body, /Unsubscribe from all marketing/);
  assert.match(page.body, /No personalised marketing/);
  // Keep promotions, drop the newsletter, add SMS, opt out of personalisation.
  const payload = new URLSearchParams({
    'c:marketing.email.promotions|email': 'on',
    'c:marketing.sms|sms': 'on',
    no_personalisation: 'on',
  }).toString();
  const saved = await api.app.inject({ method: 'POST', url: `/preferences/${token}`, headers: form, payload });
  assert.equal(saved.statusCode, 303, saved.body);
  assert.equal(saved.headers.location, `/preferences/${token}?lang=en&saved=1`);
  const events = (await engine.services.consent.events(ref)).slice(2);
  assert.deepEqual(events.map((e) => [e.type, e.purpose, e.channel, e.method, e.collectionPoint]).sort(), [
    ['granted', 'marketing.sms', 'sms', 'preference_center', 'preference_center'],
    ['withdrawn', 'marketing.email.newsletter', 'email', 'preference_center', 'preference_center'],
  ]);
  assert.equal((await engine.services.consent.loadGuardState(ref)).personalisation, 'off');
  const after = await api.app.inject({ method: 'GET', url: `/preferences/${token}?saved=1` });
  assert.match(after.body, /role="status">Your choices are saved/);
  assert.match(after.body, /name="no_personalisation" value="on" checked/);
  const all = await api.app.inject({
    method: 'POST',
    url: `/preferences/${token}`,
    headers: form,
    payload: 'unsubscribe_all=on',
  });
  assert.equal(all.statusCode, 303);
  assert.deepEqual(
    (await engine.services.consent.suppressions(ref)).map((s) => s.kind),
    ['unsubscribe_all'],
  );
  const undo = await api.app.inject({ method: 'POST', url: `/preferences/${token}`, headers: form, payload: '' });
  assert.equal(undo.statusCode, 303);
  assert.deepEqual(await engine.services.consent.suppressions(ref), []);
});

test('preference form refuses unknown fields, repeated fields and values other than on', async () => {
  const ref = await engine.seed(uniqueId('s'), { email: `${uniqueId('f')}@example.org` }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const token = await sign({ scope: 'preferences', sub: ref });
  for (const [payload, path] of [
    ['c:marketing.nope|email=on', 'body.c:marketing.nope|email'],
    ['unsubscribe_all=yes', 'body.unsubscribe_all'],
    ['unsubscribe_all=on&unsubscribe_all=on', 'body.unsubscribe_all'],
  ] as const) {
    const res = await api.app.inject({
      method: 'POST',
      url: `/preferences/${token}`,
      headers: { ...form, ...asJson },
      payload,
    });
    assert.equal(res.statusCode, 400, payload);
    assert.ok(
      (res.json() as Err).error.issues?.some((i) => i.path === path),
      res.body,
    );
  }
  assert.equal((await engine.services.consent.events(ref)).length, 1);
});

test('after a one-click unsubscribe a running journey sends nothing more; why-this-message explains the first email; processors are informed', async () => {
  const subjectId = uniqueId('s');
  const address = `${uniqueId('g')}@example.org`;
  const ref = await engine.seed(subjectId, { email: address, first_name: 'Gina' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const campaign = defineCampaign({
    id: uniqueId('c'),
    name: 'Welcome',
    description: 'test campaign',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'all-subscribers' },
    steps: [
      { id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' },
      { id: 'wait', type: 'wait', duration: '1h' },
      { id: 'send-2', type: 'send', channel: 'email', template: 'welcome-2', processor: 'smtp-relay' },
    ],
  });
  const workflowId = journeyWorkflowId(campaign.id, ref);
  await journeyStarter(engine.client, engine.taskQueue)(workflowId, {
    v: 1,
    campaign,
    campaignVersion: 'test',
    subjectRef: ref,
  });
  const [mail] = await eventually(
    async () => ((await mails(address)).length === 1 ? mails(address) : undefined),
    20_000,
    'first email',
  );
  const header = mail!.headerLines.find((h) => h.key === 'list-unsubscribe')!.line.replace(/\r\n[ \t]+/g, '');
  const unsubscribe = new URL(/<([^>]+)>/.exec(header)![1]!).pathname;
  const why = new URL(/https:\/\/prefs\.shop\.example(\/why\/[\w.-]+)/.exec(mail!.text ?? '')![0]).pathname;
  // The journey must be visible to the SubjectRef search before the signal can find it.
  await eventually(
    async () => {
      for await (const _ of engine.client.workflow.list({
        query: `SubjectRef = '${ref}' AND ExecutionStatus = 'Running'`,
      }))
        return true;
      return undefined;
    },
    20_000,
    'journey indexed',
  );
  const res = await api.app.inject({ method: 'POST', url: unsubscribe, headers: form, payload: oneClick });
  assert.equal(res.statusCode, 200);
  const result = (await engine.client.workflow.getHandle(workflowId).result()) as JourneyState;
  assert.equal(result.status, 'exited');
  assert.equal(result.exitReason, 'consent_withdrawn');
  assert.equal((await mails(address)).length, 1, 'no second email');

  const page = await api.app.inject({ method: 'GET', url: why });
  assert.equal(page.statusCode, 200, page.body);
  assert.match(page.body, /Our monthly newsletter about new products and stores/);
  assert.match(page.body, /your consent, given on \w+ \d{1,2}, \d{4} at “test”/);
  assert.match(page.body, /privacy notice version 3/);
  assert.match(page.body, /Email address, First name|First name, Email address/, 'fields by their labels');
  assert.doesNotMatch(page.body, /first_name/, 'never by their internal names');
  assert.match(page.body, /href="https:\/\/prefs\.shop\.example\/preferences\//);
  assert.doesNotMatch(page.body, /Gina|example\.org/, 'no profile values on the page');

  const status = await eventually(
    async () => {
      const r = await api.app.inject({
        method: 'GET',
        url: `/v1/subjects/${subjectId}/propagation`,
        headers: auth('admin'),
      });
      const records = (r.json() as { records: { processor: string; status: string; kind: string }[] }).records;
      return records.some((x) => x.processor === 'smtp-relay' && x.status === 'informed') ? records : undefined;
    },
    20_000,
    'smtp-relay informed',
  );
  assert.equal(status[0]?.kind, 'withdrawn');
  const forbidden = await api.app.inject({
    method: 'GET',
    url: `/v1/subjects/${subjectId}/propagation`,
    headers: auth('marketer'),
  });
  assert.equal(forbidden.statusCode, 403);
});

test("a one-click unsubscribe counts once for its campaign's monitor; a GET and a repeated POST count nothing", async () => {
  const ref = await engine.seed(uniqueId('s'), { email: `${uniqueId('m')}@example.org` }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const campaign = uniqueId('unsub-campaign');
  const token = await sign({
    scope: 'unsubscribe',
    sub: ref,
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    campaign,
    decision: '01J00000000000000000000000',
  });
  const since = new Date(Date.now() - 60_000);
  await api.app.inject({ method: 'GET', url: `/u/${token}` });
  assert.equal(await engine.services.unsubscribes.between(campaign, since, new Date(Date.now() + 60_000)), 0);
  for (let i = 0; i < 2; i++)
    assert.equal(
      (await api.app.inject({ method: 'POST', url: `/u/${token}`, headers: form, payload: oneClick })).statusCode,
      200,
    );
  assert.equal(await engine.services.unsubscribes.between(campaign, since, new Date(Date.now() + 60_000)), 1);
  assert.equal(
    await engine.services.unsubscribes.between(
      campaign,
      new Date(Date.now() + 120_000),
      new Date(Date.now() + 180_000),
    ),
    0,
    'outside the window nothing counts',
  );
});
