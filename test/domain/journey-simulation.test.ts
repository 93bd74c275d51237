import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineCampaign } from '../../domain/campaign.js';
import { simulateSubject, simulationFields, type SimulationContext } from '../../domain/journey-simulation.js';
import type { TemplateFacet } from '../../domain/send-decision.js';
import { compiled, event, NOW, state, SUBJECT } from './guard-fixtures.js';

const templates: Record<string, TemplateFacet> = {
  hello: { id: 'hello', channel: 'email', fields: ['first_name'] },
  'gold-offer': { id: 'gold-offer', channel: 'email', fields: ['first_name', 'loyalty_tier'] },
};
const campaign = defineCampaign({
  id: 'tiered',
  name: 'Tiered',
  description: 'hello, then an offer for gold only',
  purpose: 'marketing.email.promotions',
  audience: { segment: 'loyal-members' },
  steps: [
    { id: 'send-hello', type: 'send', channel: 'email', template: 'hello', processor: 'smtp-relay' },
    { id: 'wait', type: 'wait', duration: '1d' },
    {
      id: 'is-gold',
      type: 'branch',
      condition: { kind: 'field', field: 'loyalty_tier', op: 'eq', value: 'gold' },
      then: 'send-offer',
      otherwise: 'done',
    },
    { id: 'send-offer', type: 'send', channel: 'email', template: 'gold-offer', processor: 'smtp-relay' },
    { id: 'done', type: 'exit' },
  ],
  options: { frequencyCap: { channel: 'email', max: 2, per: '7d' } },
});
const ctx: SimulationContext = { campaign, policy: compiled, templates: (id) => templates[id], now: NOW };
const granted = state([event({ purpose: 'marketing.email.promotions' })]);
const run = (profile: Record<string, string>, capUsed = 0) =>
  simulateSubject(ctx, { ref: SUBJECT, state: granted, profile, capUsed });
const sends = (r: ReturnType<typeof run>) =>
  r.steps.flatMap((s) => (s.kind === 'send' ? [`${s.stepId}:${s.outcome}:${s.reasons.join('+')}`] : []));

test('a silver member takes the otherwise branch and never gets the gold-only step; a gold member gets both', () => {
  assert.deepEqual(sends(run({ email: 'a@b.example', first_name: 'Ann', loyalty_tier: 'silver' })), [
    'send-hello:allow:',
  ]);
  assert.deepEqual(run({ email: 'a@b.example', first_name: 'Ann', loyalty_tier: 'silver' }).steps[1], {
    stepId: 'is-gold',
    kind: 'branch',
    took: 'otherwise',
    target: 'done',
  });
  assert.deepEqual(sends(run({ email: 'a@b.example', first_name: 'Gil', loyalty_tier: 'gold' })), [
    'send-hello:allow:',
    'send-offer:allow:',
  ]);
});

test('a released field the profile has no value for is profile_field_missing, as the real send would fail', () => {
  assert.deepEqual(sends(run({ email: 'a@b.example', loyalty_tier: 'gold' })), [
    'send-hello:deny:profile_field_missing',
    'send-offer:deny:profile_field_missing',
  ]);
});

test('the frequency cap counts sends already in the window and the simulated ones', () => {
  assert.deepEqual(sends(run({ email: 'a@b.example', first_name: 'Gil', loyalty_tier: 'gold' }, 1)), [
    'send-hello:allow:',
    'send-offer:deny:frequency_capped',
  ]);
  assert.deepEqual(sends(run({ email: 'a@b.example', first_name: 'Gil', loyalty_tier: 'gold' }, 2)), [
    'send-hello:deny:frequency_capped',
    'send-offer:deny:frequency_capped',
  ]);
});

test('no consent denies every send step with the guard reason, and an event branch assumes its timeout path', () => {
  const r = simulateSubject(ctx, {
    ref: SUBJECT,
    state: state([]),
    profile: { first_name: 'x', loyalty_tier: 'gold' },
    capUsed: 0,
  });
  assert.deepEqual(sends(r), ['send-hello:deny:no_consent', 'send-offer:deny:no_consent']);
  const ev = defineCampaign({
    ...campaign,
    options: {},
    steps: [
      {
        id: 'b',
        type: 'branch',
        condition: { kind: 'event', event: 'opened', within: '3d' },
        then: 'x',
        otherwise: 'y',
      },
      { id: 'x', type: 'exit' },
      { id: 'y', type: 'exit' },
    ],
  });
  assert.deepEqual(
    simulateSubject({ ...ctx, campaign: ev }, { ref: SUBJECT, state: granted, profile: {}, capUsed: 0 }).steps,
    [
      {
        stepId: 'b',
        kind: 'branch',
        took: 'otherwise',
        target: 'y',
        assumed: 'no opened event within 3d (cannot be known in advance)',
      },
    ],
  );
});

test('the simulation reads only fields the purpose allows, plus the channel address', () => {
  assert.deepEqual(simulationFields(ctx), ['email', 'first_name', 'loyalty_tier']);
});
