import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { simpleParser, type ParsedMail } from 'mailparser';
import { defineCampaign, type CampaignInput } from '../../domain/campaign.js';
import { journeyStateQuery, type JourneyState } from '../../workflows/signals.js';
import { journeyStarter, signalConsentChange } from '../../infra/temporal/journeys.js';
import { journeyWorkflowId } from '../../activities/campaign.js';
import { templatePort } from '../../infra/templates/port.js';
import { loadShippedTemplates } from '../../infra/templates/shipped.js';
import type { TemplatePort } from '../../activities/send-pipeline.js';
import { consentEvent, eventually, useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';
import { policy } from '../../policy/index.js';

const shipped = templatePort(loadShippedTemplates());
// A template that asks for a field the newsletter purpose does not allow, as a careless edit would.
const templates: TemplatePort = {
  info: (id) =>
    id === 'needs-birth-year'
      ? { id, channel: 'email', fields: ['first_name', 'birth_year'], contentHash: 'f'.repeat(64) }
      : shipped.info(id),
  render: (id, ctx) => shipped.render(id === 'needs-birth-year' ? 'welcome-1' : id, ctx),
};
const engine = useEngine({ templates });

function campaign(over: Partial<CampaignInput> & { steps: CampaignInput['steps'] }) {
  return defineCampaign({
    id: uniqueId('c'),
    name: 'Test',
    description: 'test campaign',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'all-subscribers' },
    ...over,
  });
}

// Enrol the way the engine does: deterministic id and the CampaignId/Purpose/SubjectRef search attributes.
async function runJourney(c: ReturnType<typeof campaign>, ref: string, timeScale?: number) {
  const workflowId = journeyWorkflowId(c.id, ref);
  assert.equal(
    await journeyStarter(engine.client, engine.taskQueue)(workflowId, {
      v: 1,
      campaign: c,
      campaignVersion: 'test',
      subjectRef: ref,
      timeScale,
    }),
    'started',
  );
  return engine.client.workflow.getHandle(workflowId);
}

const mailsTo = (address: string): Promise<ParsedMail[]> =>
  Promise.all(
    engine.sink.received.filter((m) => m.envelopeTo.includes(address)).map((m) => simpleParser(readFileSync(m.file))),
  );

async function logFor(ref: string) {
  const out = [];
  for await (const e of engine.services.log.query({ subjectRef: ref })) out.push(e);
  return out;
}

const threeSteps = () =>
  campaign({
    steps: [
      { id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' },
      { id: 'pause-1', type: 'wait', duration: '1s' },
      { id: 'send-2', type: 'send', channel: 'email', template: 'welcome-2', processor: 'smtp-relay' },
      { id: 'pause-2', type: 'wait', duration: '1s' },
      { id: 'send-3', type: 'send', channel: 'email', template: 'welcome-3', processor: 'smtp-relay' },
    ],
  });

test('a 3-step journey delivers three emails with one-click unsubscribe, links and only the allowed fields', async () => {
  const address = `${uniqueId('ada')}@example.org`;
  const ref = await engine.seed(
    uniqueId('s'),
    { email: address, first_name: 'Ada', last_name: 'Secretsurname', city: 'Hiddenville' },
    [{ purpose: 'marketing.email.newsletter' }],
  );
  const c = threeSteps();
  const result = (await (await runJourney(c, ref)).result()) as JourneyState;
  assert.equal(result.status, 'completed');
  assert.deepEqual(
    result.history.filter((h) => h.type === 'send').map((h) => h.outcome),
    ['sent', 'sent', 'sent'],
  );
  const mails = await mailsTo(address);
  assert.equal(mails.length, 3);
  for (const m of mails) {
    const headers = new Map(m.headerLines.map((h) => [h.key, h.line.replace(/\r\n[ \t]+/g, ' ')]));
    assert.match(
      headers.get('list-unsubscribe') ?? '',
      /^List-Unsubscribe: <https:\/\/prefs\.shop\.example\/u\/[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+>$/,
    );
    assert.equal(headers.get('list-unsubscribe-post'), 'List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const text = m.text ?? '';
    assert.match(text, /Ada/);
    assert.match(text, /https:\/\/prefs\.shop\.example\/u\//, 'visible unsubscribe link');
    assert.match(text, /https:\/\/prefs\.shop\.example\/why\//, 'why-did-I-get-this link');
    assert.ok(text.includes(policy.brand!.postalAddress), "the brand's postal address");
    const raw = `${m.subject} ${text} ${m.html || ''}`;
    assert.doesNotMatch(raw, /Secretsurname|Hiddenville/, 'fields the purpose does not allow never reach the message');
  }
  const log = await logFor(ref);
  const decisions = log.filter((e) => e.kind === 'decision');
  const deliveries = log.filter((e) => e.kind === 'delivery');
  assert.equal(decisions.length, 3);
  assert.ok(
    decisions.every(
      (d) => d.outcome === 'allow' && d.fieldsReleased.includes('email') && !d.fieldsReleased.includes('last_name'),
    ),
  );
  assert.equal(deliveries.length, 3);
  for (const d of deliveries) {
    const decision = decisions.find((x) => x.id === d.decisionId);
    assert.ok(decision, 'every delivery links to its decision');
    assert.equal(decision.partition, d.partition, 'one subject, one chain');
    assert.ok(decision.seq < d.seq, 'the decision precedes its delivery in the chain');
    assert.equal(d.smtpCode, 250);
  }
});

test('a withdrawal between step 1 and step 2 ends the journey: no further email, and the exit is recorded', async () => {
  const address = `${uniqueId('bob')}@example.org`;
  const ref = await engine.seed(uniqueId('s'), { email: address, first_name: 'Bob' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const c = campaign({
    steps: [
      { id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' },
      { id: 'long-wait', type: 'wait', duration: '1h' },
      { id: 'send-2', type: 'send', channel: 'email', template: 'welcome-2', processor: 'smtp-relay' },
    ],
  });
  const handle = await runJourney(c, ref);
  await eventually(async () => ((await mailsTo(address)).length === 1 ? true : undefined), 20_000, 'first email');
  // The email reaches the sink before the send activity returns: withdraw only once the journey is in its wait.
  await eventually(
    async () => ((await handle.query(journeyStateQuery)).currentStep === 'long-wait' ? true : undefined),
    20_000,
    'the journey in its wait',
  );
  await engine.services.consent.append(consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }));
  await eventually(
    async () =>
      (await signalConsentChange(engine.client, ref, {
        v: 1,
        kind: 'withdrawn',
        purpose: 'marketing.email.newsletter',
      })) > 0
        ? true
        : undefined,
    20_000,
    'journey visible to the SubjectRef search',
  );
  const result = (await handle.result()) as JourneyState;
  assert.equal(result.status, 'exited');
  assert.equal(result.exitReason, 'consent_withdrawn');
  assert.equal((await mailsTo(address)).length, 1);
  // The exit is an outcome of its own in the log, naming the step it cut short.
  const exits = [];
  for await (const e of engine.services.log.query({ subjectRef: ref, kind: 'outcome' })) exits.push(e);
  assert.deepEqual(
    exits.map((e) => [e.outcome, e.reasons, e.result]),
    [['exited', ['consent_withdrawn'], 'at_step=long-wait']],
  );
});

test('a withdrawal committed before a timer fires is denied by the guard even without a signal', async () => {
  const address = `${uniqueId('cy')}@example.org`;
  const ref = await engine.seed(uniqueId('s'), { email: address, first_name: 'Cy' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const c = campaign({
    steps: [
      { id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' },
      { id: 'short-wait', type: 'wait', duration: '3s' },
      { id: 'send-2', type: 'send', channel: 'email', template: 'welcome-2', processor: 'smtp-relay' },
    ],
  });
  const handle = await runJourney(c, ref);
  await eventually(async () => ((await mailsTo(address)).length === 1 ? true : undefined), 20_000, 'first email');
  await engine.services.consent.append(consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }));
  const result = (await handle.result()) as JourneyState;
  assert.deepEqual(
    result.history.filter((h) => h.type === 'send').map((h) => [h.outcome, h.reasons]),
    [
      ['sent', []],
      ['denied', ['consent_withdrawn']],
    ],
  );
  assert.equal((await mailsTo(address)).length, 1);
  const denied = (await logFor(ref)).filter((e) => e.kind === 'decision' && e.outcome === 'deny');
  assert.deepEqual(
    denied.map((d) => d.reasons),
    [['consent_withdrawn']],
  );
  assert.deepEqual(denied[0]!.fieldsReleased, []);
});

test('a consent given under a notice older than the latest material change is denied notice_outdated', async () => {
  const address = `${uniqueId('dee')}@example.org`;
  const ref = await engine.seed(uniqueId('s'), { email: address, first_name: 'Dee' }, [
    { purpose: 'marketing.email.newsletter', noticeVersion: 2 },
  ]);
  const c = campaign({
    steps: [{ id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' }],
  });
  const result = (await (await runJourney(c, ref)).result()) as JourneyState;
  assert.deepEqual(result.history[0]?.reasons, ['notice_outdated']);
  assert.equal((await mailsTo(address)).length, 0);
});

test('a template needing a disallowed field is denied field_not_allowed at run time and nothing is sent', async () => {
  const address = `${uniqueId('eve')}@example.org`;
  const ref = await engine.seed(uniqueId('s'), { email: address, first_name: 'Eve', birth_year: '1990' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const c = campaign({
    steps: [{ id: 'send-1', type: 'send', channel: 'email', template: 'needs-birth-year', processor: 'smtp-relay' }],
  });
  const result = (await (await runJourney(c, ref)).result()) as JourneyState;
  assert.deepEqual(result.history[0]?.reasons, ['field_not_allowed']);
  assert.equal((await mailsTo(address)).length, 0);
  const [d] = (await logFor(ref)).filter((e) => e.kind === 'decision');
  assert.deepEqual(d?.fieldsReleased, []);
  assert.ok(d?.fieldsWithheld.includes('birth_year'));
});

test('the frequency cap holds across campaigns: the send over the cap is denied frequency_capped', async () => {
  const address = `${uniqueId('fay')}@example.org`;
  const ref = await engine.seed(uniqueId('s'), { email: address, first_name: 'Fay' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const capped = (id: string) =>
    campaign({
      id,
      options: { frequencyCap: { channel: 'email', max: 1, per: '7d' } },
      steps: [{ id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' }],
    });
  const first = (await (await runJourney(capped(uniqueId('cap-a')), ref)).result()) as JourneyState;
  const second = (await (await runJourney(capped(uniqueId('cap-b')), ref)).result()) as JourneyState;
  assert.equal(first.history[0]?.outcome, 'sent');
  assert.deepEqual(second.history[0]?.reasons, ['frequency_capped']);
  assert.equal((await mailsTo(address)).length, 1);
});

test('quiet hours hold: outside the local window the journey waits instead of sending', async () => {
  const address = `${uniqueId('gus')}@example.org`;
  const ref = await engine.seed(uniqueId('s'), { email: address, first_name: 'Gus', timezone: 'Asia/Shanghai' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  // A one-minute window starting two hours from now (Shanghai time): certainly not now.
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Shanghai',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(Date.now() + 2 * 3_600_000));
  const [h, m] = local.split(':').map(Number) as [number, number];
  const end = `${String(h).padStart(2, '0')}:${String(Math.min(m + 1, 59)).padStart(2, '0')}`;
  const c = campaign({
    steps: [
      { id: 'quiet', type: 'waitUntil', window: { start: local, end }, timezoneField: 'timezone' },
      { id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' },
    ],
  });
  const handle = await runJourney(c, ref);
  await new Promise((r) => setTimeout(r, 3000));
  const state = await handle.query<JourneyState>('journeyState');
  assert.equal(state.currentStep, 'quiet');
  assert.equal((await mailsTo(address)).length, 0);
  await handle.terminate('test done');
  // With --time-scale the same window comes in under a second (two hours × 0.0001), and the mail goes out after it.
  const scaled = await runJourney(campaign({ id: uniqueId('quiet-scaled'), steps: c.steps }), ref, 0.0001);
  const done = (await scaled.result()) as JourneyState;
  assert.deepEqual(
    done.history.map((h) => [h.stepId, h.outcome]),
    [
      ['quiet', 'deferred'],
      ['send-1', 'sent'],
    ],
  );
});
