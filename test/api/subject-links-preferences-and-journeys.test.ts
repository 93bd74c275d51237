import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineCampaign } from '../../domain/campaign.js';
import { journeyWorkflowId } from '../../activities/campaign.js';
import { journeyStarter } from '../../infra/temporal/journeys.js';
import type { JourneyState } from '../../workflows/signals.js';
import { eventually } from '../helpers/engine.js';
import { auth } from '../helpers/api.js';
import { uniqueId } from '../helpers/services.js';
import { api, asJson, engine, type Err, form, mails, oneClick, sign } from './subject-links-helpers.js';

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
