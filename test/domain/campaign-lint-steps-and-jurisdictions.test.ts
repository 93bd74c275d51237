import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Campaign } from '../../domain/campaign.js';
import { lintCampaign } from '../../domain/campaign-lint.js';
import { compilePolicy } from '../../domain/policy.js';
import { policy } from '../../policy/index.js';
import { ctx, expect, lint, seen, send, stepAndJurisdictionCodes } from './campaign-lint-fixtures.js';

test('branch_target_invalid, broadcast_shape and step_id_duplicate come from the step graph', () => {
  const steps = [
    send(),
    {
      id: 'b',
      type: 'branch' as const,
      condition: { kind: 'event' as const, event: 'opened' as const, within: '3d' },
      then: 'send-it',
      otherwise: 'gone',
    },
    send(),
  ];
  const p = lint({ steps, options: { kind: 'broadcast', holdoutPercent: 0 } });
  expect(p, 'branch_target_invalid', { step: 'b' }, /step "b": branch "b" then → "send-it": it is not later/);
  expect(p, 'branch_target_invalid', { step: 'b' }, /otherwise → "gone": no step has that id/);
  expect(p, 'broadcast_shape', {}, /broadcast "c1" must be exactly one send step/);
  expect(p, 'step_id_duplicate', { step: 'send-it' }, /step id "send-it" is used twice/);
});

test('a marketing SMS needs a 【】 signature at the start and an opt-out reply instruction (MIIT Order 31)', () => {
  const sms = (template: string) =>
    lint({
      purpose: 'marketing.sms',
      audience: { segment: 'sms-subscribers' },
      steps: [send({ channel: 'sms', template, processor: 'sms-gateway' })],
    });
  assert.deepEqual(sms('hello-sms'), []);
  expect(
    sms('sms-unsigned'),
    'sms_signature_missing',
    { step: 'send-it', template: 'sms-unsigned' },
    /does not start with a sender signature in 【】/,
  );
  expect(
    sms('sms-no-opt-out'),
    'sms_opt_out_missing',
    { step: 'send-it', template: 'sms-no-opt-out' },
    /no opt-out instruction; .* e\.g\. 回复TD退订/,
  );
});

test('jurisdiction rules: a purpose, basis or processor that can never pass where the segment targets', () => {
  const soft = { purpose: 'marketing.email.reengagement', steps: [send()] };
  expect(
    lint({ ...soft, audience: { segment: 'cn-shoppers' } }),
    'jurisdiction_not_offered',
    { step: 'send-it' },
    /can never send to CN subjects: purpose "marketing.email.reengagement" is offered only in EU, UK, US/,
  );
  assert.deepEqual(lint({ ...soft, audience: { segment: 'eu-shoppers' } }), []);
  const everywhere = {
    ...ctx,
    policy: compilePolicy(
      { ...policy, purposes: policy.purposes.map((p) => ({ ...p, jurisdictions: undefined })) },
      'everywhere',
    ),
  };
  const c = Campaign.parse({ id: 'c1', name: 'C', description: 'd', audience: { segment: 'cn-shoppers' }, ...soft });
  expect(
    lintCampaign(c, everywhere),
    'legal_basis_not_permitted',
    { step: 'send-it' },
    /CN allows marketing only on consent, not soft_opt_in/,
  );
  const noFiling = {
    ...ctx,
    policy: compilePolicy(
      {
        ...policy,
        processors: policy.processors.map((p) => (p.id === 'smtp-relay' ? { ...p, transferMechanisms: [] } : p)),
      },
      'no-filing',
    ),
  };
  const cnMail = Campaign.parse({
    id: 'c1',
    name: 'C',
    description: 'd',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'cn-shoppers' },
    steps: [send()],
  });
  assert.deepEqual(lintCampaign(cnMail, ctx), [], 'the relay has a CN filing and a transfer consent purpose');
  expect(
    lintCampaign(cnMail, noFiling),
    'cross_border_transfer_not_permitted',
    { step: 'send-it' },
    /processor "smtp-relay" \(EU\) has no transfer mechanism for data from CN/,
  );
  const noTransferPurpose = {
    ...ctx,
    policy: compilePolicy(
      { ...policy, purposes: policy.purposes.filter((p) => p.transferTo === undefined) },
      'no-transfer-purpose',
    ),
  };
  expect(
    lintCampaign(cnMail, noTransferPurpose),
    'cross_border_consent_unavailable',
    { step: 'send-it' },
    /no purpose records the separate consent to transfers to "smtp-relay"/,
  );
});

test('quiet_hours_unguarded: a CN text message needs a daytime waitUntil right before it', () => {
  const sms = send({ channel: 'sms', template: 'hello-sms', processor: 'sms-gateway' });
  const base = { purpose: 'marketing.sms.promotions', audience: { segment: 'cn-shoppers' } };
  expect(
    lint({ ...base, steps: [sms] }),
    'quiet_hours_unguarded',
    { step: 'send-it' },
    /may send during CN quiet hours for sms \(21:00-08:00 Asia\/Shanghai\)/,
  );
  const waitUntil = (start: string, end: string) => ({
    id: 'daytime',
    type: 'waitUntil' as const,
    window: { start, end },
    timezoneField: 'locale',
  });
  expect(lint({ ...base, steps: [waitUntil('20:00', '22:00'), sms] }), 'quiet_hours_unguarded', {}, /quiet hours/);
  assert.deepEqual(
    lint({ ...base, steps: [waitUntil('09:00', '21:00'), sms] }).filter((p) => p.code === 'quiet_hours_unguarded'),
    [],
  );
  assert.deepEqual(
    lint({ ...base, audience: { segment: 'eu-shoppers' }, steps: [sms] }).filter(
      (p) => p.code === 'quiet_hours_unguarded',
    ),
    [],
    'no SMS quiet hours in the EU rule',
  );
});
test('every lint code on the step graph, SMS wording and jurisdictions is exercised by a test above', () => {
  assert.deepEqual([...seen].sort(), [...stepAndJurisdictionCodes].sort());
});
